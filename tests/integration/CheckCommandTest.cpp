// msgbus check against the real MariaDB, SQLite and RabbitMQ: passes after msgbus setup, names
// what is missing or different (creating nothing), reports each broker node, prints valid JSON
// and nothing else on stdout with --json, and never shows a password.
#include "core/amqp/AmqpUrl.h"
#include "core/cli/SecretMask.h"
#include "core/db/ConnectionString.h"
#include "core/db/Database.h"
#include "core/inbox/DedupStore.h"
#include "core/util/Clock.h"
#include "support/TestEnv.h"

#include <Poco/Data/Session.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class CheckCommandTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CheckCommandTest);
    CPPUNIT_TEST(testPassesAfterSetupOnMariaDb);
    CPPUNIT_TEST(testPassesAfterSetupOnSqlite);
    CPPUNIT_TEST(testWithoutSetupNamesWhatIsMissingAndCreatesNothing);
    CPPUNIT_TEST(testSqliteFileThatDoesNotExistIsNotCreated);
    CPPUNIT_TEST(testTableWithoutColumnAndIndexIsNamed);
    CPPUNIT_TEST(testClassicQueueConfiguredAsQuorumNamesBothTypes);
    CPPUNIT_TEST(testDeadBrokerNodeFailsAloneAndTheRestIsChecked);
    CPPUNIT_TEST(testJsonIsTheOnlyOutputOnStdout);
    CPPUNIT_TEST(testPasswordsAreNeverShown);
    CPPUNIT_TEST(testBrokenPluginAndHandlerlessConsumerAreNamed);
    CPPUNIT_TEST(testBadConfigurationIsExitTwoNamingTheKey);
    CPPUNIT_TEST(testPoolSmallerThanTheWorkersFailsCheckAndRun);
    CPPUNIT_TEST(testDatabaseIsNamedWithoutCredentials);
    CPPUNIT_TEST(testSecretMaskHidesEverySecret);
    CPPUNIT_TEST(testDedupRowsOlderThanTheRetentionAreAnInfo);
    CPPUNIT_TEST_SUITE_END();

    /// A configuration with one exchange, one bound queue and a consumer of it with the good
    /// test handler; the queue and exchange are deleted afterwards.
    struct Bus {
        std::string dir = test::tempDir("check");
        std::string exchange = test::uniqueName("check_ex");
        std::string queue = test::uniqueName("check_q");
        std::map<std::string, std::string> properties;

        Bus(const std::string& connector, const std::string& connection,
            const std::map<std::string, std::string>& extra = {}) {
            std::map<std::string, std::string> keys{
                {"amqp.exchange." + exchange + ".type", "topic"},
                {"amqp.queue." + queue + ".bindings", exchange + ":test.#"},
                {"plugin.good.library", "libmsgbus-test-good.so"},
                {"inbox.consumers", "orders"},
                {"inbox.consumer.orders.queue", queue}};
            for (const auto& [key, value] : extra)
                keys[key] = value;
            properties = test::baseProperties(connector, connection, exchange, keys);
        }
        ~Bus() { test::deleteQueueAndExchange(queue, exchange); }

        std::string config() const {
            return test::writeProperties(dir + "/msgbus.properties", properties);
        }
        std::string outbox() const { return properties.at("outbox.table"); }

        /// msgbus <command> with the configuration; stdout and stderr together in output.
        int run(const std::string& command, std::string& output) const {
            return test::runCommand(test::msgbusBinary() + " " + command + " --config " + config(),
                                    &output);
        }
        void setup() const {
            std::string output;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, run("setup", output));
        }
        /// msgbus check --json with stdout in out and stderr in err, apart.
        int runJson(std::string& out, std::string& err) const {
            const std::string errFile = dir + "/check.stderr";
            int rc = test::runCommand("(" + test::msgbusBinary() + " check --json --config " +
                                          config() + " 2>" + errFile + ")",
                                      &out);
            std::ifstream in(errFile);
            std::stringstream text;
            text << in.rdbuf();
            err = text.str();
            return rc;
        }
    };

    static void assertContains(const std::string& text, const std::string& part) {
        CPPUNIT_ASSERT_MESSAGE("expected '" + part + "' in:\n" + text,
                               text.find(part) != std::string::npos);
    }
    static void assertLacks(const std::string& text, const std::string& part) {
        CPPUNIT_ASSERT_MESSAGE("did not expect '" + part + "' in:\n" + text,
                               text.find(part) == std::string::npos);
    }
    static int linesStartingWith(const std::string& text, const std::string& prefix) {
        std::istringstream lines(text);
        int count = 0;
        for (std::string line; std::getline(lines, line);)
            count += line.rfind(prefix, 0) == 0 ? 1 : 0;
        return count;
    }

    static void assertPassesAfterSetup(const Bus& bus) {
        bus.setup();
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, bus.run("check", output));
        assertContains(output, "OK   configuration: ");
        assertContains(output, "OK   database: ");
        assertContains(output, "OK   table " + bus.outbox() + ": the outbox table");
        assertContains(output, "index ix_" + bus.outbox() +
                                   "_available (available_at, seq) for the relay's claim query");
        assertContains(output, "OK   table " + bus.properties.at("dedup.table") + ":");
        assertContains(output, "OK   table " + bus.properties.at("dedup.table") + "_runs:");
        assertContains(output, "OK   table " + bus.properties.at("failed.table") + ":");
        assertContains(output, "OK   dedup retention: no deduplication row older than "
                               "dedup.retention (7d)");
        assertContains(output, "OK   broker node 127.0.0.1:");
        assertContains(output, "OK   exchange " + bus.exchange + ": topic, durable");
        assertContains(output, "OK   queue " + bus.queue + ": classic, durable; 0 messages ready");
        assertContains(output, "INFO bindings: not checkable over AMQP");
        assertContains(output, "OK   plugin directory: ");
        assertContains(output, "OK   plugin json: ");
        assertContains(output, "OK   plugin routing: ");
        assertContains(output, "OK   plugin good: ");
        assertContains(output, "OK   bus.serializer: plugin json");
        assertContains(output, "OK   bus.routing: plugin routing");
        assertContains(output, "OK   consumer orders: queue " + bus.queue +
                                   ", handlers for test.good (good/GoodHandler)");
        assertContains(output, "PASSED: ");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, linesStartingWith(output, "FAIL "));
    }

    /// The test broker's URL with another port (and, when given, another password).
    static std::string brokerUrl(std::uint16_t port, const std::string& password = "") {
        auto url = core::amqp::AmqpUrl::parse(test::amqpUrl());
        return core::amqp::AmqpUrl(url.host(), port, url.vhost(), url.user(),
                                   password.empty() ? url.password() : password)
            .text();
    }

    /// A local port nothing listens on: one the kernel just handed out and got back.
    static std::uint16_t closedPort() {
        Poco::Net::ServerSocket socket(0);
        const std::uint16_t port = socket.address().port();
        socket.close();
        return port;
    }

public:
    void testDedupRowsOlderThanTheRetentionAreAnInfo() {
        // Cleanup does not run: worth saying, but nothing fails for it.
        Bus bus("MySQL", test::createMysqlDatabase(), {{"dedup.retention", "3d"}});
        bus.setup();
        {
            core::Database database(
                core::DatabaseSettings{"MySQL", bus.properties.at("db.connection"), 1});
            auto session = database.session();
            core::DedupStore(database.dialect(), bus.properties.at("dedup.table"))
                .tryInsert(*session, Id::generate(), "orders", "test.good",
                           core::nowMillis() - 10LL * 24 * 3600 * 1000);
        }
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, bus.run("check", output));
        assertContains(output, "INFO dedup retention: the oldest deduplication row is 10d old, "
                               "older than dedup.retention (3d): run msgbus cleanup:dedup");
    }

    void testPassesAfterSetupOnMariaDb() {
        assertPassesAfterSetup(Bus("MySQL", test::createMysqlDatabase()));
    }

    void testPassesAfterSetupOnSqlite() {
        Bus bus("SQLite", test::createSqliteDatabase());
        assertPassesAfterSetup(bus);
        std::string output;
        bus.run("check", output);
        assertContains(output,
                       "OK   database: SQLite file " +
                           std::filesystem::canonical(bus.properties.at("db.connection")).string());
    }

    void testWithoutSetupNamesWhatIsMissingAndCreatesNothing() {
        Bus bus("MySQL", test::createMysqlDatabase());
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, bus.run("check", output));
        assertContains(output, "OK   database: MariaDB/MySQL database 't_");
        assertContains(output, "FAIL table " + bus.outbox() +
                                   ": missing (the outbox table): run msgbus setup");
        assertContains(output, "FAIL table " + bus.properties.at("dedup.table") + "_runs: missing");
        assertContains(output, "FAIL exchange " + bus.exchange + ": missing: run msgbus setup");
        assertContains(output, "FAIL queue " + bus.queue + ": missing: run msgbus setup");
        assertContains(output, "FAILED: ");
        // Plugins do not depend on the database or the broker: still checked.
        assertContains(output, "OK   consumer orders: ");
        // A second run finds the same: the first created nothing.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, bus.run("check", output));
        assertContains(output, "FAIL table " + bus.outbox() + ": missing");
        assertContains(output, "FAIL exchange " + bus.exchange + ": missing");
        assertContains(output, "FAIL queue " + bus.queue + ": missing");
    }

    void testSqliteFileThatDoesNotExistIsNotCreated() {
        Bus bus("SQLite", test::createSqliteDatabase());
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, bus.run("check", output));
        assertContains(output, "FAIL database: SQLite file ");
        assertContains(output, "does not exist: run msgbus setup");
        assertContains(output, "INFO schema: not checked without a database");
        CPPUNIT_ASSERT(!std::filesystem::exists(bus.properties.at("db.connection")));
    }

    void testTableWithoutColumnAndIndexIsNamed() {
        Bus bus("SQLite", test::createSqliteDatabase());
        bus.setup();
        {
            core::Database::registerConnectors();
            Poco::Data::Session session("SQLite", bus.properties.at("db.connection"));
            session << "DROP INDEX ix_" + bus.outbox() + "_available", now;
            session << "ALTER TABLE " + bus.outbox() + " DROP COLUMN last_error", now;
        }
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, bus.run("check", output));
        assertContains(output, "FAIL table " + bus.outbox() + ": the outbox table differs: ");
        assertContains(output, "column (last_error) missing");
        assertContains(output, "no index on (available_at, seq) (for the relay's claim query): "
                               "create it with CREATE INDEX ix_" +
                                   bus.outbox() + "_available ON " + bus.outbox() +
                                   " (available_at, seq)");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, linesStartingWith(output, "FAIL "));
    }

    void testClassicQueueConfiguredAsQuorumNamesBothTypes() {
        Bus bus("SQLite", test::createSqliteDatabase());
        bus.setup(); // the queue is classic, the default
        const std::string typeKey = "amqp.queue." + bus.queue + ".type";
        bus.properties[typeKey] = "quorum";
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, bus.run("check", output));
        assertContains(output, "FAIL queue " + bus.queue + ": queue '" + bus.queue +
                                   "' already exists with other settings: x-queue-type is "
                                   "'classic' on the broker, the configuration (amqp.queue." +
                                   bus.queue + ".type) asks for 'quorum'");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, linesStartingWith(output, "FAIL "));
        // The queue was compared, not changed.
        bus.properties.erase(typeKey);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, bus.run("check", output));
    }

    void testDeadBrokerNodeFailsAloneAndTheRestIsChecked() {
        Bus bus("SQLite", test::createSqliteDatabase());
        bus.setup();
        const std::uint16_t dead = closedPort();
        const auto good = core::amqp::AmqpUrl::parse(test::amqpUrl());
        bus.properties["amqp.url"] = brokerUrl(dead) + ", " + test::amqpUrl();
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, bus.run("check", output));
        assertContains(output, "FAIL broker node 127.0.0.1:" + std::to_string(dead) + ": ");
        assertContains(output, "OK   broker node " + good.endpoint() + ": vhost '/'");
        assertContains(output, "OK   exchange " + bus.exchange);
        assertContains(output, "OK   queue " + bus.queue);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, linesStartingWith(output, "FAIL "));
    }

    void testJsonIsTheOnlyOutputOnStdout() {
        Bus bus("MySQL", test::createMysqlDatabase(), {{"no.such.key", "x"}});
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(out + err, 1, bus.runJson(out, err));
        auto failed = parseReport(out);
        CPPUNIT_ASSERT(!failed->getValue<bool>("ok"));
        CPPUNIT_ASSERT(hasCheck(*failed, "table " + bus.outbox(), "fail"));
        CPPUNIT_ASSERT(hasCheck(*failed, "configuration", "info"));

        bus.setup();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(out + err, 0, bus.runJson(out, err));
        auto passed = parseReport(out);
        CPPUNIT_ASSERT(passed->getValue<bool>("ok"));
        CPPUNIT_ASSERT(hasCheck(*passed, "table " + bus.outbox(), "ok"));
        CPPUNIT_ASSERT(hasCheck(*passed, "queue " + bus.queue, "ok"));
        CPPUNIT_ASSERT(!hasCheck(*passed, "", "fail"));
    }

    /// stdout must be exactly one JSON document and a newline.
    static Poco::JSON::Object::Ptr parseReport(const std::string& out) {
        CPPUNIT_ASSERT_MESSAGE(out, !out.empty() && out.front() == '{');
        CPPUNIT_ASSERT_MESSAGE(out, out.size() >= 2 && out.substr(out.size() - 2) == "}\n");
        CPPUNIT_ASSERT_MESSAGE(out, out.find('\n') == out.size() - 1);
        Poco::JSON::Parser parser;
        auto object = parser.parse(out).extract<Poco::JSON::Object::Ptr>();
        auto checks = object->getArray("checks");
        CPPUNIT_ASSERT(checks && checks->size() > 5);
        for (std::size_t i = 0; i < checks->size(); ++i) {
            auto check = checks->getObject(static_cast<unsigned>(i));
            CPPUNIT_ASSERT(check->has("name") && check->has("status") && check->has("detail"));
        }
        return object;
    }

    /// Whether a check named name (any name when empty) has status.
    static bool hasCheck(const Poco::JSON::Object& report, const std::string& name,
                         const std::string& status) {
        auto checks = report.getArray("checks");
        for (std::size_t i = 0; i < checks->size(); ++i) {
            auto check = checks->getObject(static_cast<unsigned>(i));
            if ((name.empty() || check->getValue<std::string>("name") == name) &&
                check->getValue<std::string>("status") == status)
                return true;
        }
        return false;
    }

    void testPasswordsAreNeverShown() {
        const std::string dbSecret = "Db-S3cret-4711";
        const std::string urlSecret = "Url-S3cret-0815";
        const std::string keySecret = "Key-S3cret-2718";
        std::string connection = test::createMysqlDatabase();
        const auto at = connection.find("password=");
        const auto end = connection.find(';', at);
        connection = connection.substr(0, at) + "password=" + dbSecret +
                     (end == std::string::npos ? "" : connection.substr(end));

        for (bool viaKey : {false, true}) {
            Bus bus("MySQL", connection);
            const auto url = core::amqp::AmqpUrl::parse(test::amqpUrl());
            bus.properties["amqp.url"] = brokerUrl(url.port(), urlSecret);
            if (viaKey)
                bus.properties["amqp.password"] = keySecret;
            std::string output, out, err;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, bus.run("check", output));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(out + err, 1, bus.runJson(out, err));
            assertContains(output, "FAIL database: MariaDB/MySQL database 't_");
            assertContains(output, "FAIL broker node " + url.endpoint());
            for (const auto& text : {output, out, err}) {
                for (const auto& secret : {dbSecret, urlSecret, keySecret})
                    assertLacks(text, secret);
                assertLacks(text, "password=");
            }
        }
    }

    void testBrokenPluginAndHandlerlessConsumerAreNamed() {
        Bus broken("SQLite", test::createSqliteDatabase(),
                   {{"plugin.bad.library", "libmsgbus-test-abimismatch.so"}});
        broken.setup();
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, broken.run("check", output));
        assertContains(output, "FAIL plugin bad: ");
        // Not the whole file name: the test broker's password, msgbus-test, is part of it and
        // masked wherever it appears.
        assertContains(output, "abimismatch.so): ABI mismatch");
        assertContains(output, "OK   plugin good: ");
        assertContains(output, "INFO bus plugins and consumers: not checked until every plugin "
                               "loads");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, linesStartingWith(output, "FAIL "));

        Bus handlerless("SQLite", test::createSqliteDatabase(),
                        {{"inbox.consumer.orders.plugins", "json"}});
        handlerless.setup();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, handlerless.run("check", output));
        assertContains(output, "FAIL consumer orders: consumer 'orders': no loaded handler takes "
                               "any message for it");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, linesStartingWith(output, "FAIL "));
    }

    void testBadConfigurationIsExitTwoNamingTheKey() {
        Bus bus("SQLite", test::createSqliteDatabase(), {{"db.connector", "Oracle"}});
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 2, bus.run("check", output));
        assertContains(output, "db.connector");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 2, bus.run("check --json", output));
        assertContains(output, "db.connector");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 2, bus.run("check --verbose", output));
        assertContains(output, "--verbose");
    }

    void testPoolSmallerThanTheWorkersFailsCheckAndRun() {
        // 4 lanes + 2 relays + the retry worker hold 7 sessions at once.
        Bus bus("MySQL", test::createMysqlDatabase(),
                {{"db.pool.max", "6"},
                 {"outbox.workers", "2"},
                 {"inbox.consumer.orders.concurrency", "4"}});
        bus.setup();
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, bus.run("check", output));
        assertContains(output, "FAIL database pool: configuration key 'db.pool.max': 6 sessions "
                               "are fewer than the 7");
        assertContains(output, "inbox.consumer.orders.concurrency = 4");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 2, bus.run("run", output));
        assertContains(output, "set db.pool.max to 7 or more");
    }

    void testDatabaseIsNamedWithoutCredentials() {
        core::MysqlConnectionString full(
            "host = db.internal; port=3307;db=bus;user=bus;password=pw;=x;junk");
        CPPUNIT_ASSERT_EQUAL(std::string("database 'bus' on db.internal:3307"), full.location());
        CPPUNIT_ASSERT_EQUAL(std::string("pw"), full.value("password"));
        CPPUNIT_ASSERT_EQUAL(std::string("no database (db=) named on localhost:3306"),
                             core::MysqlConnectionString("user=u;password=p").location());
    }

    void testSecretMaskHidesEverySecret() {
        core::cli::SecretMask mask;
        mask.add("s3cret");
        mask.add("s3cret-longer");
        mask.add("abc"); // too short to mask without garbling every text
        mask.add("");
        CPPUNIT_ASSERT_EQUAL(std::string("a *** b *** c ******abc"),
                             mask("a s3cret-longer b s3cret c s3crets3cretabc"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CheckCommandTest);
