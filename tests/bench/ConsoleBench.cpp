// Figure "console": the console API's latency over a failed table of a million rows on MariaDB.
#include "BenchEnv.h"
#include "Figures.h"

#include "core/config/Settings.h"
#include "core/console/Console.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/failed/FailedStore.h"
#include "core/host/AdminHttpServer.h"
#include "core/util/Clock.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/Util/MapConfiguration.h>

#include <algorithm>

namespace msgbus::bench {
namespace {

using namespace Poco::Data::Keywords;

/// A failed inbox row of consumer "orders" with that error.
void insertRow(core::Database& database, const std::string& table, const std::string& error) {
    core::FailedRecord r;
    r.source = "amqp:orders";
    r.messageId = Id::generate();
    r.messageName = "order.placed";
    r.envelopeJson = "{}";
    r.body = R"({"order":{"id":17,"lines":[1,2,3]}})";
    r.errorClass = "HandlerFailed";
    r.errorMessage = error;
    r.attempts = 3;
    r.createdAt = r.availableAt = core::nowMillis();
    r.failedAt = r.createdAt;
    auto session = database.session();
    core::FailedStore(database.dialect(), table).insert(*session, r);
}

/// rows copies of the table's first row (one group), by INSERT ... SELECT doubling.
void seed(core::Database& database, const std::string& table, std::int64_t rows) {
    const std::string columns = "queue_name, source, message_id, message_name, headers, body, "
                                "error_class, error_message, attempts, created_at, available_at, "
                                "failed_at, failure_group";
    auto session = database.session();
    for (std::int64_t have = 1; have < rows;) {
        const std::int64_t add = std::min(have, rows - have);
        *session << "INSERT INTO " + table + " (" + columns + ") SELECT " + columns + " FROM " +
                        table + " ORDER BY id LIMIT " + std::to_string(add),
            now;
        have += add;
    }
}

std::string get(int port, const std::string& path) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(60, 0));
    Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
        throw std::runtime_error(path + ": " + std::to_string(response.getStatus()) + " " + body);
    return body;
}

void measure(int port, const std::string& label, const std::string& path, int requests) {
    for (int i = 0; i < 5; ++i)
        get(port, path); // warm the buffer pool and the plan cache
    std::vector<double> ms;
    for (int i = 0; i < requests; ++i) {
        Stopwatch watch;
        get(port, path);
        ms.push_back(watch.millis());
    }
    report("console " + label + " p50", percentile(ms, 0.50), "ms", 1);
    report("console " + label + " p99", percentile(ms, 0.99), "ms", 1);
}

} // namespace

void consoleLatency(std::int64_t rows, int requests) {
    ScratchMysqlDatabase scratch;
    Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
    config->setString("db.connector", "MySQL");
    config->setString("db.connection", scratch.connection());
    config->setString("amqp.url", amqpUrl());
    // Seeding copies half a million rows in one statement.
    config->setString("db.io_timeout_ms", "600000");
    const core::Settings settings = core::Settings::load(*config);
    core::Database database(settings.db);
    core::Schema::apply(database,
                        {settings.outbox.table, settings.dedupTable, settings.failedTable});
    Stopwatch seeding;
    insertRow(database, settings.failedTable, "order 17 not found");
    seed(database, settings.failedTable, rows);
    for (const char* error : {"customer 5 is blocked", "timeout after 30 s", "bad payload"})
        insertRow(database, settings.failedTable, error);
    note("console: " + std::to_string(rows) +
         " failed rows of one group and 3 more groups, "
         "seeded in " +
         std::to_string(static_cast<int>(seeding.seconds())) + " s");
    core::console::Console console(
        core::console::ConsoleContext{database, settings,
                                      [] { return std::map<std::string, std::set<std::string>>{}; },
                                      "bench"},
        false);
    core::AdminHttpServer::Probes probes;
    probes.extension = [&console](const Poco::Net::HTTPServerRequest& request) {
        return console.handlerFor(request);
    };
    core::AdminHttpServer server(0, probes);
    Poco::JSON::Parser parser;
    const auto groups = parser.parse(get(server.port(), "/api/failed/groups"))
                            .extract<Poco::JSON::Object::Ptr>()
                            ->getArray("groups");
    const std::string big = groups->getObject(0)->getValue<std::string>("group");
    measure(server.port(), "groups page (" + std::to_string(rows) + " rows)", "/api/failed/groups",
            requests);
    // Filters narrow the rows before they are counted: a group's count is its matching rows.
    measure(server.port(), "groups page, last day, consumer orders",
            "/api/failed/groups?consumer=orders&since=" +
                std::to_string(core::nowMillis() - 86400000LL),
            requests);
    measure(server.port(), "first page of a group of " + std::to_string(rows),
            "/api/failed/messages?group=" + big, requests);
}

} // namespace msgbus::bench
