#include "core/amqp/ManagementApi.h"

#include <msgbus/Error.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <sstream>

namespace msgbus::core::amqp {
namespace {

/// One path segment: '/' in a vhost ("/" is the default one) must be %2F.
std::string segment(const std::string& text) {
    std::string out;
    Poco::URI::encode(text, "/?#%+ ", out);
    return out;
}

std::int64_t integerOf(const Poco::JSON::Object::Ptr& object, const std::string& key) {
    return object->has(key) && !object->isNull(key) ? object->getValue<Poco::Int64>(key) : 0;
}

} // namespace

ManagementApi::ManagementApi(const std::string& baseUrl, const HttpClientOptions& options,
                             std::string user, std::string password,
                             std::chrono::milliseconds timeout)
    : _endpoint(baseUrl, options), _prefix(_endpoint.path()),
      _user(_endpoint.hasUserInfo() ? _endpoint.user() : std::move(user)),
      _password(_endpoint.hasUserInfo() ? _endpoint.password() : std::move(password)),
      _timeout(timeout) {
    while (!_prefix.empty() && _prefix.back() == '/')
        _prefix.pop_back();
}

std::optional<QueueStatus> ManagementApi::queue(const std::string& vhost, const std::string& name) {
    const std::string path = _prefix + "/api/queues/" + segment(vhost) + "/" + segment(name) +
                             "?columns=messages_ready,messages_unacknowledged,consumers,"
                             "head_message_timestamp";
    // Built from the parts, so it never holds the user info.
    const std::string where = std::string(_endpoint.secure() ? "https://" : "http://") +
                              _endpoint.host() + ":" + std::to_string(_endpoint.port()) + path;
    std::string body;
    Poco::Net::HTTPResponse response;
    try {
        auto session = _endpoint.session(_timeout);
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        Poco::Net::HTTPBasicCredentials(_user, _password).authenticate(request);
        session->sendRequest(request);
        std::istream& in = session->receiveResponse(response);
        std::ostringstream text;
        Poco::StreamCopier::copyStream(in, text);
        body = text.str();
    } catch (const Poco::Exception& e) {
        throw Error("management API " + where + ": " + e.displayText());
    }
    if (response.getStatus() == Poco::Net::HTTPResponse::HTTP_NOT_FOUND)
        return std::nullopt;
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
        throw Error("management API " + where + ": HTTP " +
                    std::to_string(static_cast<int>(response.getStatus())) + " " +
                    response.getReason() +
                    (response.getStatus() == Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED
                         ? " (the amqp.url user needs the monitoring tag)"
                         : ""));
    try {
        auto object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        QueueStatus status;
        status.ready = integerOf(object, "messages_ready");
        status.unacked = integerOf(object, "messages_unacknowledged");
        status.consumers = integerOf(object, "consumers");
        if (object->has("head_message_timestamp") && !object->isNull("head_message_timestamp"))
            status.headTimestamp = object->getValue<Poco::Int64>("head_message_timestamp");
        return status;
    } catch (const Poco::Exception& e) {
        throw Error("management API " + where + ": not the queue's JSON: " + e.displayText());
    }
}

} // namespace msgbus::core::amqp
