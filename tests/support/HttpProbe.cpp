#include "support/HttpProbe.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>

namespace msgbus::test {

HttpReply httpGet(int port, const std::string& path, std::chrono::milliseconds timeout) {
    HttpReply reply;
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
        session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count() / 1000),
                                          static_cast<long>(timeout.count() % 1000) * 1000));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        Poco::StreamCopier::copyToString(in, reply.body);
        reply.status = static_cast<int>(response.getStatus());
    } catch (const std::exception& e) {
        reply.body = std::string("no answer: ") + e.what();
    }
    return reply;
}

int freeLocalPort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    int port = socket.address().port();
    socket.close();
    return port;
}

} // namespace msgbus::test
