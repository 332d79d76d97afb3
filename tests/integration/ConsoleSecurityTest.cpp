// The console's security rules over real HTTP: a bearer token or a console user beyond
// loopback (401 otherwise), the CSRF token and same origin for a POST (403 otherwise), the
// read-only mode, a foreign Host header on loopback (DNS rebinding), no secret in an answer,
// and `msgbus setup` giving an older failed table its failure groups (`msgbus check` says so).
#include "core/console/ConsoleSecurity.h"
#include "core/cli/ConsoleCommand.h"
#include "core/cli/Loaded.h"
#include "core/console/Console.h"
#include "core/console/SignInThrottle.h"
#include "core/db/Schema.h"
#include "core/host/Host.h"
#include "core/util/Base64.h"
#include "support/ConsoleFixture.h"
#include "support/HostProcess.h"
#include "support/HttpProbe.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using test::ConsoleFixture;

namespace {

const std::string kToken = "0123456789abcdef-console-token";

std::map<std::string, std::string> bearer() {
    return {{"Authorization", "Bearer " + kToken}};
}

std::string basic(const std::string& user, const std::string& password) {
    return "Basic " + core::base64Encode(user + ":" + password, core::Base64Padding::Padded);
}

void assertContains(const std::string& text, const std::string& part) {
    CPPUNIT_ASSERT_MESSAGE("'" + text + "' lacks '" + part + "'",
                           text.find(part) != std::string::npos);
}

} // namespace

class ConsoleSecurityTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsoleSecurityTest);
    CPPUNIT_TEST(testBeyondLoopbackEveryRequestNeedsTokenOrUser);
    CPPUNIT_TEST(testRepeatedFailedSignInsAreSlowedDown);
    CPPUNIT_TEST(testPostNeedsCsrfTokenAndSameOrigin);
    CPPUNIT_TEST(testReadOnlyRefusesEveryAction);
    CPPUNIT_TEST(testLoopbackRefusesForeignHostName);
    CPPUNIT_TEST(testSetupGroupsRowsOfAnOlderFailedTable);
    CPPUNIT_TEST(testHostServesTheConsoleOnItsAdminPort);
    CPPUNIT_TEST_SUITE_END();

public:
    void testBeyondLoopbackEveryRequestNeedsTokenOrUser() {
        ConsoleFixture f("SQLite",
                         {{"console.token", kToken},
                          {"console.users", "alice:" + core::console::sha256Hex("wonderland")}},
                         true);
        auto none = f.get("/api/session");
        CPPUNIT_ASSERT_EQUAL(401, none.status);
        assertContains(none.headers["WWW-Authenticate"], "Basic");
        // The page (no data, no secret) loads without credentials: it carries the sign-in form.
        CPPUNIT_ASSERT_EQUAL(200, f.get("/", {}).status);
        CPPUNIT_ASSERT_EQUAL(401,
                             f.get("/api/session", {{"Authorization", "Bearer wrong"}}).status);
        CPPUNIT_ASSERT_EQUAL(
            401, f.get("/api/session", {{"Authorization", basic("alice", "wrong")}}).status);
        auto byToken = f.get("/api/session", bearer());
        CPPUNIT_ASSERT_EQUAL(200, byToken.status);
        auto byUser = f.get("/api/session", {{"Authorization", basic("alice", "wonderland")}});
        CPPUNIT_ASSERT_EQUAL(200, byUser.status);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), byUser.json->getValue<std::string>("user"));
        // No secret in any answer.
        for (const auto& reply : {byToken, byUser})
            CPPUNIT_ASSERT(reply.body.find(kToken) == std::string::npos &&
                           reply.body.find("wonderland") == std::string::npos);
        // Each user's CSRF token is its own.
        CPPUNIT_ASSERT(byToken.json->getValue<std::string>("csrf") !=
                       byUser.json->getValue<std::string>("csrf"));
        auto post = f.post("/api/failed/actions", R"({"action":"remove","ids":[1]})",
                           {{"Authorization", basic("alice", "wonderland")},
                            {"X-CSRF-Token", byToken.json->getValue<std::string>("csrf")}});
        CPPUNIT_ASSERT_EQUAL(403, post.status);
    }

    void testRepeatedFailedSignInsAreSlowedDown() {
        ConsoleFixture f("SQLite",
                         {{"console.token", kToken},
                          {"console.users", "alice:" + core::console::sha256Hex("wonderland")}},
                         true);
        // A page's first request carries no credentials: no guess, never counted.
        for (int i = 0; i < 10; ++i)
            CPPUNIT_ASSERT_EQUAL(401, f.get("/api/session").status);
        // The first failed guesses are answered as such (a mistyped password)...
        using Throttle = core::console::SignInThrottle;
        for (int i = 0; i < Throttle::kFreeFailures; ++i)
            CPPUNIT_ASSERT_EQUAL(
                401, f.get("/api/session", {{"Authorization", basic("alice", "guess")}}).status);
        // ... then the address waits longer after each one: 429 with Retry-After. (Guesses
        // until the first 429: on a loaded machine a one-second block may pass between two.)
        test::ConsoleReply blocked;
        for (int i = 0; i < 20 && blocked.status != 429; ++i)
            blocked = f.get("/api/session", {{"Authorization", "Bearer guess-" + kToken}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(blocked.body, 429, blocked.status);
        CPPUNIT_ASSERT(std::stoi(blocked.headers["Retry-After"]) >= 1);
        assertContains(blocked.body, "too many failed sign-ins");
        // Once the block is over the right token signs in, and clears the address's record.
        const bool in =
            test::waitUntil([&] { return f.get("/api/session", bearer()).status == 200; },
                            std::chrono::seconds(90));
        CPPUNIT_ASSERT(in);
        CPPUNIT_ASSERT_EQUAL(
            401, f.get("/api/session", {{"Authorization", basic("alice", "guess")}}).status);
    }

    void testPostNeedsCsrfTokenAndSameOrigin() {
        ConsoleFixture f("MySQL");
        const auto id = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom");
        const std::string body = R"({"action":"remove","ids":[)" + std::to_string(id) + "]}";
        const std::string csrf = f.get("/api/session").json->getValue<std::string>("csrf");
        auto noToken = f.post("/api/failed/actions", body);
        CPPUNIT_ASSERT_EQUAL(403, noToken.status);
        assertContains(noToken.json->getValue<std::string>("error"), "X-CSRF-Token");
        CPPUNIT_ASSERT_EQUAL(
            403, f.post("/api/failed/actions", body,
                        {{"X-CSRF-Token", (csrf[0] == '0' ? "1" : "0") + csrf.substr(1)}})
                     .status);
        auto crossOrigin = f.post("/api/failed/actions", body,
                                  {{"X-CSRF-Token", csrf}, {"Origin", "http://evil.example"}});
        CPPUNIT_ASSERT_EQUAL(403, crossOrigin.status);
        assertContains(crossOrigin.json->getValue<std::string>("error"), "cross-origin");
        CPPUNIT_ASSERT_EQUAL(1, f.count("SELECT COUNT(*) FROM " + f.settings.failedTable));
        // Without Origin (a script), the token is enough.
        auto ok = f.post("/api/failed/actions", body, {{"X-CSRF-Token", csrf}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ok.body, 200, ok.status);
        CPPUNIT_ASSERT_EQUAL(0, f.count("SELECT COUNT(*) FROM " + f.settings.failedTable));
    }

    void testReadOnlyRefusesEveryAction() {
        ConsoleFixture f("SQLite", {{"console.read_only", "true"}});
        const auto id = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom");
        auto session = f.get("/api/session");
        CPPUNIT_ASSERT(session.json->getValue<bool>("read_only"));
        for (const std::string action : {"retry", "remove"}) {
            auto reply =
                f.act(R"({"action":")" + action + R"(","ids":[)" + std::to_string(id) + "]}");
            CPPUNIT_ASSERT_EQUAL(403, reply.status);
            CPPUNIT_ASSERT_EQUAL(std::string("the console is read-only"),
                                 reply.json->getValue<std::string>("error"));
        }
        CPPUNIT_ASSERT_EQUAL(1, f.count("SELECT COUNT(*) FROM " + f.settings.failedTable +
                                        " WHERE queue_name = 'failed'"));
        CPPUNIT_ASSERT_EQUAL(200, f.get("/api/failed/groups").status);
    }

    void testLoopbackRefusesForeignHostName() {
        ConsoleFixture f("SQLite");
        CPPUNIT_ASSERT_EQUAL(403,
                             f.get("/api/session", {{"Host", "attacker.example:8089"}}).status);
        CPPUNIT_ASSERT_EQUAL(200, f.get("/api/session", {{"Host", "localhost:8089"}}).status);
        auto page = f.get("/");
        CPPUNIT_ASSERT_EQUAL(200, page.status);
        assertContains(page.headers["Content-Type"], "text/html");
        assertContains(page.headers["X-Frame-Options"], "DENY");
    }

    void testSetupGroupsRowsOfAnOlderFailedTable() {
        ConsoleFixture f("MySQL");
        const auto id = f.insertFailed("orders", "order.placed", "HandlerFailed", "order 5 lost");
        f.insertFailed("orders", "order.placed", "HandlerFailed", "order 6 lost");
        // As an older msgbus left it: no failure_group column, no console indexes.
        const std::string t = f.settings.failedTable;
        {
            auto session = f.database->session();
            *session << "ALTER TABLE " + t + " DROP INDEX ix_" + t + "_group",
                Poco::Data::Keywords::now;
            *session << "ALTER TABLE " + t + " DROP INDEX ix_" + t + "_groups",
                Poco::Data::Keywords::now;
            *session << "ALTER TABLE " + t + " DROP COLUMN failure_group",
                Poco::Data::Keywords::now;
        }
        std::string output;
        const std::string binary = test::msgbusBinary() + " ";
        test::runCommand(binary + "check --config " + f.configPath, &output);
        assertContains(output, "failure_group");
        test::runChecked(binary + "setup --schema-only --config " + f.configPath);
        CPPUNIT_ASSERT_EQUAL(0,
                             f.count("SELECT COUNT(*) FROM " + t + " WHERE failure_group IS NULL"));
        CPPUNIT_ASSERT_EQUAL(1, f.count("SELECT COUNT(DISTINCT failure_group) FROM " + t));
        test::runCommand(binary + "check --config " + f.configPath, &output);
        assertContains(output, "every failed row has its failure group");
        CPPUNIT_ASSERT(id > 0);
    }

    void testHostServesTheConsoleOnItsAdminPort() {
        const auto props = test::baseProperties(
            "MySQL", test::createMysqlDatabase(), test::uniqueName("consolehost"),
            {{"console.enabled", "true"},
             {"outbox.workers", "0"},
             {"http.port", std::to_string(test::freeLocalPort())}});
        core::cli::Loaded loaded;
        loaded.config = test::configFrom(props);
        loaded.settings = core::Settings::load(*loaded.config);
        core::Database setup(loaded.settings.db);
        core::Schema::apply(setup, {loaded.settings.outbox.table, loaded.settings.dedupTable,
                                    loaded.settings.failedTable});
        std::unique_ptr<core::console::Console> console;
        core::Host host(loaded.config, loaded.settings, "");
        console = core::cli::consoleOnAdminPort(host, loaded);
        CPPUNIT_ASSERT(console);
        host.start();
        auto groups = test::httpGet(host.httpPort(), "/api/failed/groups");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(groups.body, 200, groups.status);
        assertContains(groups.body, "\"groups\":[]");
        CPPUNIT_ASSERT_EQUAL(200, test::httpGet(host.httpPort(), "/metrics").status);
        host.stop();
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleSecurityTest);
