// The console's outbox routes against real MariaDB and SQLite, called as the server calls them:
// the pending summary per message name (failing rows and their last error), the delivered
// trail (filters, keyset pages, CSV and JSON downloads), and replay (outbox:replay's window,
// the read-only refusal, the cap, the count check and the audit record).
#include "core/console/ApiAnswer.h"
#include "core/db/Schema.h"
#include "core/util/Clock.h"
#include "support/ConsoleRoutes.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <Poco/JSON/Array.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class ConsoleOutboxTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsoleOutboxTest);
    CPPUNIT_TEST(testSummaryCountsPendingAndFailingRowsPerNameOnMariaDb);
    CPPUNIT_TEST(testSummaryCountsPendingAndFailingRowsPerNameOnSqlite);
    CPPUNIT_TEST(testDeliveredTrailIsFilteredAndPagedNewestFirstOnMariaDb);
    CPPUNIT_TEST(testDeliveredTrailIsFilteredAndPagedNewestFirstOnSqlite);
    CPPUNIT_TEST(testDeliveredTrailDownloadsAsCsvAndJson);
    CPPUNIT_TEST(testBadQueryParametersAreRefusedNamingThem);
    CPPUNIT_TEST(testReplayByIdsAndByWindowWritesTheSameIdsBackOnMariaDb);
    CPPUNIT_TEST(testReplayByIdsAndByWindowWritesTheSameIdsBackOnSqlite);
    CPPUNIT_TEST(testReplayIsRefusedReadOnlyAboveTheCapAndOnAnotherCount);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        std::vector<core::console::AuditedAction> audited;
        std::int64_t maxActionRows = 10000;

        explicit Bus(const std::string& connector) : ScratchBus("console") {
            open(connector, {{"outbox.keep_delivered", "true"}}, "order.#");
        }

        test::ConsoleRoutes console() {
            core::console::OperationsContext context{*database, settings};
            context.audit = [this](const core::console::AuditedAction& action) {
                audited.push_back(action);
                return static_cast<std::int64_t>(audited.size());
            };
            context.maxActionRows = maxActionRows;
            return test::ConsoleRoutes(context);
        }

        std::string delivered() const { return core::deliveredTableOf(settings.outbox.table); }

        /// Moves every outbox row into the delivered table as the relay records a delivery,
        /// delivered deliveredAtOffset ms after it was created.
        void deliverAll(std::int64_t deliveredAtOffset = 10) {
            auto session = database->session();
            *session << "INSERT INTO " + delivered() +
                            " (message_id, message_name, partition_key, headers, body, "
                            "created_at, attempts, delivered_at, exchange, routing_key) SELECT "
                            "message_id, message_name, partition_key, headers, body, created_at, "
                            "1, created_at + " +
                            std::to_string(deliveredAtOffset) + ", '" + exchange +
                            "', message_name FROM " + settings.outbox.table + " ORDER BY seq",
                now;
            *session << "DELETE FROM " + settings.outbox.table, now;
        }

        int outboxRows() { return count("SELECT COUNT(*) FROM " + settings.outbox.table); }
    };

    static std::string hexOf(const std::string& id) {
        static const char* const digits = "0123456789ABCDEF";
        std::string out;
        const Id parsed = Id::parse(id);
        for (auto byte : parsed.bytes()) {
            out += digits[byte >> 4];
            out += digits[byte & 0x0f];
        }
        return out;
    }

    static std::vector<std::string> column(const Poco::JSON::Object::Ptr& answer,
                                           const std::string& list, const std::string& key) {
        std::vector<std::string> out;
        auto rows = answer->getArray(list);
        for (std::size_t i = 0; i < rows->size(); ++i)
            out.push_back(rows->getObject(static_cast<unsigned>(i))->get(key).toString());
        return out;
    }

    void summary(const std::string& connector) {
        Bus bus(connector);
        bus.writeOutbox(3, "order.placed");
        bus.writeOutbox(2, "order.paid");
        {
            // One order.paid row failed twice to publish (the broker returned it).
            auto session = bus.database->session();
            *session << "UPDATE " + bus.settings.outbox.table +
                            " SET attempts = 2, last_error = 'NO_ROUTE: no queue for order.paid', "
                            "available_at = available_at + 1000 WHERE seq = (SELECT MIN(seq) "
                            "FROM (SELECT seq FROM " +
                            bus.settings.outbox.table + " WHERE message_name = 'order.paid') s)",
                now;
        }
        auto console = bus.console();
        auto answer = console.get("/api/outbox/summary");
        CPPUNIT_ASSERT_EQUAL(5, answer->getValue<int>("pending_total"));
        CPPUNIT_ASSERT(answer->getValue<bool>("keep_delivered"));
        auto names = answer->getArray("names");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), names->size());
        auto paid = names->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("order.paid"),
                             paid->getValue<std::string>("message_name"));
        CPPUNIT_ASSERT_EQUAL(2, paid->getValue<int>("pending"));
        CPPUNIT_ASSERT_EQUAL(1, paid->getValue<int>("failing"));
        CPPUNIT_ASSERT_EQUAL(std::string("NO_ROUTE: no queue for order.paid"),
                             paid->getValue<std::string>("last_error"));
        auto placed = names->getObject(1);
        CPPUNIT_ASSERT_EQUAL(3, placed->getValue<int>("pending"));
        CPPUNIT_ASSERT_EQUAL(0, placed->getValue<int>("failing"));
        CPPUNIT_ASSERT(placed->isNull("last_error"));
        const auto oldest = placed->getValue<Poco::Int64>("oldest_pending_ms");
        Poco::Int64 minimum = 0;
        {
            auto session = bus.database->session();
            *session << "SELECT MIN(created_at) FROM " + bus.settings.outbox.table +
                            " WHERE message_name = 'order.placed'",
                into(minimum), now;
        }
        CPPUNIT_ASSERT_EQUAL(minimum, oldest);

        const auto csv = console.call("GET", "/api/outbox/summary", {{"format", "csv"}});
        CPPUNIT_ASSERT_EQUAL(std::string("text/csv; charset=utf-8"), csv.contentType);
        CPPUNIT_ASSERT_EQUAL(std::string("attachment; filename=\"outbox-summary.csv\""),
                             csv.headers.at("Content-Disposition"));
        CPPUNIT_ASSERT_MESSAGE(csv.body, csv.body.rfind("message_name,pending,oldest_pending_ms,"
                                                        "failing,last_error\r\norder.paid,2,",
                                                        0) == 0);
    }

    void deliveredTrail(const std::string& connector) {
        Bus bus(connector);
        const auto placed = bus.writeOutbox(5, "order.placed");
        const auto paid = bus.writeOutbox(2, "order.paid");
        bus.deliverAll();
        auto console = bus.console();

        auto first = console.get("/api/outbox/delivered", {{"limit", "3"}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), first->getArray("rows")->size());
        // Newest first: the two order.paid deliveries, then the last order.placed.
        const auto names = column(first, "rows", "message_name");
        CPPUNIT_ASSERT_EQUAL(std::string("order.paid"), names[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"), names[2]);
        CPPUNIT_ASSERT_EQUAL(paid[1], column(first, "rows", "message_id")[0]);
        const auto next = first->getValue<Poco::Int64>("next_after");
        CPPUNIT_ASSERT_EQUAL(std::to_string(next), column(first, "rows", "id")[2]);

        auto second =
            console.get("/api/outbox/delivered", {{"limit", "3"}, {"after", std::to_string(next)}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), second->getArray("rows")->size());
        auto third = console.get("/api/outbox/delivered",
                                 {{"limit", "3"}, {"after", second->get("next_after").toString()}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), third->getArray("rows")->size());
        CPPUNIT_ASSERT(third->isNull("next_after"));
        CPPUNIT_ASSERT_EQUAL(placed[0], column(third, "rows", "message_id")[0]);

        auto byName = console.get("/api/outbox/delivered", {{"name", "order.paid"}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), byName->getArray("rows")->size());
        auto byId = console.get("/api/outbox/delivered", {{"message_id", placed[3]}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), byId->getArray("rows")->size());
        const std::string key = column(byId, "rows", "id")[0];
        auto byKey = console.get("/api/outbox/delivered", {{"id", key}});
        CPPUNIT_ASSERT_EQUAL(placed[3], column(byKey, "rows", "message_id")[0]);

        // The time window is on delivered_at: created_at + 10 here.
        const auto at = byId->getArray("rows")->getObject(0)->getValue<Poco::Int64>("delivered_at");
        auto since = console.get("/api/outbox/delivered",
                                 {{"name", "order.placed"}, {"since", std::to_string(at)}});
        auto until = console.get("/api/outbox/delivered",
                                 {{"name", "order.placed"}, {"until", std::to_string(at)}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(5),
                             since->getArray("rows")->size() + until->getArray("rows")->size());
        CPPUNIT_ASSERT(since->getArray("rows")->size() >= 2); // the 4th and the 5th
    }

public:
    void testSummaryCountsPendingAndFailingRowsPerNameOnMariaDb() { summary("MySQL"); }
    void testSummaryCountsPendingAndFailingRowsPerNameOnSqlite() { summary("SQLite"); }
    void testDeliveredTrailIsFilteredAndPagedNewestFirstOnMariaDb() { deliveredTrail("MySQL"); }
    void testDeliveredTrailIsFilteredAndPagedNewestFirstOnSqlite() { deliveredTrail("SQLite"); }

    void testDeliveredTrailDownloadsAsCsvAndJson() {
        Bus bus("MySQL");
        const auto ids = bus.writeOutbox(4, "order.placed");
        bus.deliverAll();
        auto console = bus.console();
        // A download is the whole list, whatever limit and after say.
        const auto json =
            console.call("GET", "/api/outbox/delivered", {{"format", "json"}, {"limit", "1"}});
        CPPUNIT_ASSERT_EQUAL(std::string("attachment; filename=\"outbox-delivered.json\""),
                             json.headers.at("Content-Disposition"));
        auto all = test::jsonObjectOf(json);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), all->getArray("rows")->size());
        CPPUNIT_ASSERT(!all->getValue<bool>("truncated"));

        const auto csv = console.call("GET", "/api/outbox/delivered", {{"format", "csv"}});
        CPPUNIT_ASSERT_EQUAL(std::string("text/csv; charset=utf-8"), csv.contentType);
        CPPUNIT_ASSERT_MESSAGE(csv.body, csv.body.rfind("id,message_id,message_name,partition_key,"
                                                        "created_at,delivered_at\r\n",
                                                        0) == 0);
        std::size_t lines = 0;
        for (char c : csv.body)
            lines += c == '\n';
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), lines);
        for (const auto& id : ids)
            CPPUNIT_ASSERT_MESSAGE(csv.body, csv.body.find("," + id + ",order.placed,,") !=
                                                 std::string::npos);
    }

    void testBadQueryParametersAreRefusedNamingThem() {
        Bus bus("SQLite");
        auto console = bus.console();
        for (const auto& [query, named] :
             std::vector<std::pair<std::map<std::string, std::string>, std::string>>{
                 {{{"limit", "0"}}, "limit"},
                 {{{"limit", "ten"}}, "limit"},
                 {{{"since", "yesterday"}}, "since"},
                 {{{"message_id", "42"}}, "message_id"},
                 {{{"since", "2000"}, {"until", "1000"}}, "until"},
                 {{{"format", "xml"}}, "format"},
             }) {
            const auto response = console.call("GET", "/api/outbox/delivered", query);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 400, response.status);
            const auto error = test::jsonObjectOf(response)->getValue<std::string>("error");
            CPPUNIT_ASSERT_MESSAGE(error, error.find(named) != std::string::npos);
        }
    }

    void replay(const std::string& connector) {
        Bus bus(connector);
        const auto placed = bus.writeOutbox(3, "order.placed");
        const auto paid = bus.writeOutbox(2, "order.paid");
        bus.deliverAll(-5000); // delivered "5 s before" their creation: inside since = now - 1 h
        auto console = bus.console();

        const std::string missing = Id::generate().toString();
        auto byIds =
            console.call("POST", "/api/outbox/replay", {},
                         "{\"ids\":[\"" + placed[1] + "\",\"" + missing + "\"]}", false, "alice");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byIds.body, 200, byIds.status);
        auto answer = test::jsonObjectOf(byIds);
        CPPUNIT_ASSERT_EQUAL(1, answer->getValue<int>("replayed"));
        CPPUNIT_ASSERT_EQUAL(missing, answer->getArray("missing")->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(1, bus.outboxRows());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bus.audited.size());
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), bus.audited[0].who);
        CPPUNIT_ASSERT_EQUAL(std::string("replay"), bus.audited[0].action);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), bus.audited[0].done);
        CPPUNIT_ASSERT_EQUAL(1, answer->getValue<int>("action_id"));

        // The window: order.paid delivered in the last hour, up to the last delivery there was.
        const auto since = core::nowMillis() - 3600 * 1000;
        auto byWindow = console.call(
            "POST", "/api/outbox/replay", {},
            "{\"filter\":{\"name\":\"order.paid\",\"since\":" + std::to_string(since) + "}}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byWindow.body, 200, byWindow.status);
        answer = test::jsonObjectOf(byWindow);
        CPPUNIT_ASSERT_EQUAL(2, answer->getValue<int>("replayed"));
        auto window = answer->getObject("window");
        CPPUNIT_ASSERT_EQUAL(5, window->getValue<int>("until_id"));
        CPPUNIT_ASSERT(window->getValue<Poco::Int64>("until") >= since);
        CPPUNIT_ASSERT_EQUAL(std::string("console"), bus.audited[1].who);
        CPPUNIT_ASSERT_EQUAL(3, bus.outboxRows());
        for (const auto& id : {placed[1], paid[0], paid[1]})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(id, 1,
                                         bus.count("SELECT COUNT(*) FROM " +
                                                   bus.settings.outbox.table +
                                                   " WHERE hex(message_id) = '" + hexOf(id) + "'"));
    }

    void testReplayByIdsAndByWindowWritesTheSameIdsBackOnMariaDb() { replay("MySQL"); }
    void testReplayByIdsAndByWindowWritesTheSameIdsBackOnSqlite() { replay("SQLite"); }

    void testReplayIsRefusedReadOnlyAboveTheCapAndOnAnotherCount() {
        Bus bus("MySQL");
        bus.writeOutbox(3, "order.placed");
        bus.deliverAll(-5000);
        bus.maxActionRows = 2;
        auto console = bus.console();
        const std::string window = "\"filter\":{\"name\":[\"order.placed\"],\"since\":" +
                                   std::to_string(core::nowMillis() - 3600 * 1000) + "}";
        auto refused = [&](const std::string& body, bool readOnly, int status,
                           const std::string& says) {
            const auto response = console.call("POST", "/api/outbox/replay", {}, body, readOnly);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, status, response.status);
            const auto error = test::jsonObjectOf(response)->getValue<std::string>("error");
            CPPUNIT_ASSERT_MESSAGE(error, error.find(says) != std::string::npos);
            return test::jsonObjectOf(response);
        };
        refused("{" + window + "}", true, 403, "the console is read-only");
        refused("{" + window + "}", false, 400, "more than one console action may replay (2)");
        bus.maxActionRows = 10000;
        auto roomy = bus.console();
        const auto other =
            roomy.call("POST", "/api/outbox/replay", {}, "{" + window + ",\"expected_count\":2}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(other.body, 409, other.status);
        CPPUNIT_ASSERT_EQUAL(3, test::jsonObjectOf(other)->getValue<int>("count"));
        refused("not json", false, 400, "not a JSON object");
        refused("{}", false, 400, "give \"ids\" or \"filter\"");
        refused("{\"ids\":[\"nope\"]}", false, 400, "'nope' in ids is not a message id");
        refused("{\"filter\":{\"name\":\"order.placed\"}}", false, 400, "needs name and since");
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        CPPUNIT_ASSERT(bus.audited.empty());
        const auto done =
            roomy.call("POST", "/api/outbox/replay", {}, "{" + window + ",\"expected_count\":3}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(done.body, 200, done.status);
        CPPUNIT_ASSERT_EQUAL(3, bus.outboxRows());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleOutboxTest);
