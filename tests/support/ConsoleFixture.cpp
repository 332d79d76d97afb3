#include "support/ConsoleFixture.h"

#include "core/db/Schema.h"
#include "core/util/Clock.h"
#include "support/TestEnv.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using namespace Poco::Data::Keywords;

namespace msgbus::test {

ConsoleFixture::ConsoleFixture(const std::string& connector,
                               std::map<std::string, std::string> extra, bool authRequired,
                               std::map<std::string, std::set<std::string>> consumerNames) {
    const std::string connection =
        connector == "MySQL" ? createMysqlDatabase() : createSqliteDatabase();
    properties = baseProperties(connector, connection, "ex", extra);
    configPath = writeProperties(tempDir("console") + "/msgbus.properties", properties);
    settings = core::Settings::load(*configFrom(properties));
    database = std::make_unique<core::Database>(settings.db);
    core::Schema::apply(*database,
                        {settings.outbox.table, settings.dedupTable, settings.failedTable});
    console = std::make_unique<core::console::Console>(
        core::console::ConsoleContext{*database, settings,
                                      [consumerNames] { return consumerNames; }, "test"},
        authRequired);
    core::AdminHttpServer::Probes probes;
    probes.extension = [this](const Poco::Net::HTTPServerRequest& request) {
        return console->handlerFor(request);
    };
    server =
        std::make_unique<core::AdminHttpServer>(0, probes, authRequired ? "0.0.0.0" : "127.0.0.1");
}

ConsoleFixture::~ConsoleFixture() {
    server.reset();
}

std::int64_t ConsoleFixture::insert(core::FailedRecord record) {
    auto session = database->session();
    return core::FailedStore(database->dialect(), settings.failedTable).insert(*session, record);
}

std::int64_t ConsoleFixture::insertFailed(const std::string& consumer, const std::string& name,
                                          const std::string& errorClass, const std::string& error,
                                          std::int64_t createdAt, const std::string& queue,
                                          std::int64_t availableAt) {
    const std::int64_t now = core::nowMillis();
    core::FailedRecord r;
    r.queueName = queue;
    r.source = consumer == "outbox" ? consumer : "amqp:" + consumer;
    r.messageId = Id::generate();
    r.messageName = name;
    r.envelopeJson = "{}";
    r.body = R"({"n":1})";
    r.errorClass = errorClass;
    r.errorMessage = error;
    r.attempts = 3;
    r.createdAt = createdAt ? createdAt : now;
    r.availableAt = availableAt ? availableAt : r.createdAt;
    if (queue == "failed")
        r.failedAt = r.createdAt;
    return insert(r);
}

void ConsoleFixture::copyRow(std::int64_t id, int count) {
    auto session = database->session();
    const std::string columns = "queue_name, source, message_id, message_name, headers, body, "
                                "error_class, error_message, attempts, created_at, available_at, "
                                "failed_at, failure_group";
    for (int i = 0; i < count; ++i)
        *session << "INSERT INTO " + settings.failedTable + " (" + columns + ") SELECT " + columns +
                        " FROM " + settings.failedTable + " WHERE id = " + std::to_string(id),
            now;
}

namespace {

ConsoleReply exchange(int port, Poco::Net::HTTPRequest& request, const std::string& body,
                      const std::map<std::string, std::string>& headers) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(30, 0));
    if (!request.has("Host"))
        request.setHost("127.0.0.1", static_cast<Poco::UInt16>(port));
    for (const auto& [name, value] : headers)
        request.set(name, value);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    ConsoleReply reply;
    reply.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, reply.body);
    for (const auto& [name, value] : response)
        reply.headers[name] = value;
    try {
        Poco::JSON::Parser parser;
        auto value = parser.parse(reply.body);
        if (value.type() == typeid(Poco::JSON::Object::Ptr))
            reply.json = value.extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
    }
    return reply;
}

} // namespace

ConsoleReply ConsoleFixture::get(const std::string& pathAndQuery,
                                 const std::map<std::string, std::string>& headers) {
    Poco::Net::HTTPRequest request("GET", pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    return exchange(port(), request, "", headers);
}

ConsoleReply ConsoleFixture::post(const std::string& path, const std::string& body,
                                  const std::map<std::string, std::string>& headers) {
    Poco::Net::HTTPRequest request("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    return exchange(port(), request, body, headers);
}

ConsoleReply ConsoleFixture::act(const std::string& body) {
    auto session = get("/api/session");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(session.body, 200, session.status);
    return post("/api/failed/actions", body,
                {{"X-CSRF-Token", session.json->getValue<std::string>("csrf")},
                 {"Origin", "http://127.0.0.1:" + std::to_string(port())}});
}

int ConsoleFixture::count(const std::string& sql) {
    auto session = database->session();
    int n = -1;
    *session << sql, into(n), now;
    return n;
}

std::int64_t numberOf(const Poco::JSON::Object::Ptr& object, const std::string& key) {
    CPPUNIT_ASSERT_MESSAGE("no JSON object", !object.isNull());
    CPPUNIT_ASSERT_MESSAGE("no member " + key, object->has(key));
    return object->getValue<Poco::Int64>(key);
}

} // namespace msgbus::test
