#include "core/config/Settings.h"
#include "core/amqp/AmqpNodes.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/ConfigError.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/SystemConfiguration.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

using msgbus::core::ConfigError;
using msgbus::core::Settings;

class SettingsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SettingsTest);
    CPPUNIT_TEST(testMinimalConfigurationGetsTheDefaults);
    CPPUNIT_TEST(testMissingKeyIsNamed);
    CPPUNIT_TEST(testInvalidValuesAreNamedWithWhatWasExpected);
    CPPUNIT_TEST(testUnknownKeysAreWarnedAbout);
    CPPUNIT_TEST(testATypoUnderLoggingIsWarnedAboutButNotPocoLogging);
    CPPUNIT_TEST(testEnvironmentVariablesExpandAndUnsetOnesAreNamed);
    CPPUNIT_TEST(testConsumersBindingsAndPluginsAreRead);
    CPPUNIT_TEST(testAmqpUserAndPasswordOverrideTheUrlCredentials);
    CPPUNIT_TEST(testBadAmqpUrlIsNamedAndNeverQuotesThePassword);
    CPPUNIT_TEST(testEverySpellingOfOneSqliteFileGivesOnePath);
    CPPUNIT_TEST(testALineWithoutSeparatorIsNeverQuoted);
    CPPUNIT_TEST(testSeveralBrokerNodesShareTheCredentials);
    CPPUNIT_TEST(testQueueTypeAndTypedArgumentsAreRead);
    CPPUNIT_TEST_SUITE_END();

    static std::map<std::string, std::string> minimal() {
        return {{"db.connector", "SQLite"},
                {"db.connection", "/tmp/x.db"},
                {"amqp.url", "amqp://u:p@127.0.0.1:5672/%2f"}};
    }

    static Settings load(const std::map<std::string, std::string>& props,
                         std::vector<std::string>* warnings = nullptr) {
        Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
        for (const auto& [k, v] : props)
            map->setString(k, v);
        Poco::AutoPtr<Poco::Util::LayeredConfiguration> config(
            new Poco::Util::LayeredConfiguration);
        config->add(map, "file", 0, false);
        config->add(new Poco::Util::SystemConfiguration, "system", 100, false);
        return Settings::load(*config, warnings);
    }

    static std::string errorOf(const std::map<std::string, std::string>& props) {
        try {
            load(props);
        } catch (const ConfigError& e) {
            return e.what();
        }
        CPPUNIT_FAIL("configuration was accepted");
        return "";
    }

    static std::map<std::string, std::string> with(std::map<std::string, std::string> base,
                                                   const std::string& key,
                                                   const std::string& value) {
        base[key] = value;
        return base;
    }

    static void assertContains(const std::string& text, const std::string& part) {
        CPPUNIT_ASSERT_MESSAGE("'" + text + "' lacks '" + part + "'",
                               text.find(part) != std::string::npos);
    }

public:
    void testMinimalConfigurationGetsTheDefaults() {
        Settings s = load(minimal());
        CPPUNIT_ASSERT_EQUAL(std::string("messenger_outbox"), s.outbox.table);
        CPPUNIT_ASSERT_EQUAL(std::string("message_broker_deduplication"), s.dedupTable);
        CPPUNIT_ASSERT_EQUAL(std::string("messenger_messages"), s.failedTable);
        CPPUNIT_ASSERT_EQUAL(2, s.outbox.workers);
        CPPUNIT_ASSERT_EQUAL(1000, s.outbox.batchSize);
        CPPUNIT_ASSERT_EQUAL(2000, s.outbox.confirmWindow);
        CPPUNIT_ASSERT_EQUAL(10, s.outbox.maxAttempts);
        CPPUNIT_ASSERT_EQUAL(3, s.retry.maxRetries);
        CPPUNIT_ASSERT_EQUAL(9464, s.httpPort);
        CPPUNIT_ASSERT_EQUAL(std::string("udp://127.255.255.255:5673"), s.outbox.doorbell);
        CPPUNIT_ASSERT_EQUAL(std::string(""),
                             load(with(minimal(), "outbox.doorbell", "")).outbox.doorbell);
    }

    void testMissingKeyIsNamed() {
        auto p = minimal();
        p.erase("amqp.url");
        assertContains(errorOf(p), "'amqp.url': missing");
        p = minimal();
        p.erase("db.connector");
        assertContains(errorOf(p), "'db.connector': missing; expected MySQL or SQLite");
    }

    void testInvalidValuesAreNamedWithWhatWasExpected() {
        assertContains(errorOf(with(minimal(), "db.connector", "Oracle")), "'db.connector'");
        assertContains(errorOf(with(minimal(), "outbox.batch_size", "lots")),
                       "'outbox.batch_size': 'lots' is not an integer");
        assertContains(errorOf(with(minimal(), "outbox.batch_size", "0")),
                       "'outbox.batch_size': 0 is out of range");
        assertContains(errorOf(with(minimal(), "outbox.ordered", "maybe")),
                       "'outbox.ordered': 'maybe' is not a boolean");
        assertContains(errorOf(with(minimal(), "outbox.table", "drop table;")),
                       "'outbox.table': 'drop table;' is not a valid table name");
        assertContains(errorOf(with(minimal(), "bus.serializer", "nope")),
                       "'bus.serializer': names plugin 'nope'");
        assertContains(errorOf(with(minimal(), "inbox.consumers", "a")),
                       "'inbox.consumer.a.queue': missing");
        assertContains(errorOf(with(with(minimal(), "amqp.queue.q.bindings", "nocolon"), "x", "y")),
                       "'amqp.queue.q.bindings': binding 'nocolon' is not <exchange>:<pattern>");
        assertContains(errorOf(with(minimal(), "logging.format", "xml")), "'logging.format'");
        assertContains(errorOf(with(minimal(), "outbox.doorbell", "tcp://127.0.0.1:5673")),
                       "'outbox.doorbell': 'tcp://127.0.0.1:5673' has an unknown scheme");
        assertContains(errorOf(with(minimal(), "outbox.doorbell", "udp://127.0.0.1:99999")),
                       "'outbox.doorbell': 'udp://127.0.0.1:99999' has a port outside 1-65535");
    }

    void testUnknownKeysAreWarnedAbout() {
        std::vector<std::string> warnings;
        load(with(with(minimal(), "outbox.batchsize", "10"), "plugin.x.library", "libx.so"),
             &warnings);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), warnings.size());
        assertContains(warnings[0], "'outbox.batchsize'");
    }

    void testATypoUnderLoggingIsWarnedAboutButNotPocoLogging() {
        std::vector<std::string> warnings;
        auto config = with(minimal(), "logging.fromat", "json");
        config = with(config, "logging.loggers.root.level", "debug");
        config = with(config, "logging.channels.c1.class", "ConsoleChannel");
        config = with(config, "logging.formatters.f1.pattern", "%t");
        load(config, &warnings);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), warnings.size());
        assertContains(warnings[0], "'logging.fromat'");
    }

    void testALineWithoutSeparatorIsNeverQuoted() {
        // "amqp.password s3cret-pw" (no '=' or ':') is read as one key holding the secret.
        std::vector<std::string> warnings;
        load(with(minimal(), "amqp.password s3cret-pw", ""), &warnings);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), warnings.size());
        assertContains(warnings[0], "not a key = value pair");
        CPPUNIT_ASSERT(warnings[0].find("s3cret") == std::string::npos);
    }

    void testEnvironmentVariablesExpandAndUnsetOnesAreNamed() {
        ::setenv("MSGBUS_SETTINGS_TEST_URL", "amqp://a:b@h:1/%2f", 1);
        Settings s = load(with(minimal(), "amqp.url", "${system.env.MSGBUS_SETTINGS_TEST_URL}"));
        CPPUNIT_ASSERT_EQUAL(std::string("amqp://a:b@h:1/%2f"), s.amqp.url);
        ::unsetenv("MSGBUS_SETTINGS_UNSET_PASSWORD");
        assertContains(
            errorOf(with(minimal(), "db.connection",
                         "host=x;password=${system.env.MSGBUS_SETTINGS_UNSET_PASSWORD}")),
            "'db.connection': refers to a variable that is not set");
    }

    void testConsumersBindingsAndPluginsAreRead() {
        // Inserted, not assigned through operator[]: GCC 12 at -O2 reports a false
        // -Werror=restrict in std::string::assign(const char*) for the latter (GCC PR 105329).
        auto p = minimal();
        p.insert({{"plugin.h.library", "libh.so"},
                  {"plugin.h.classes", "A, B"},
                  {"plugin.h.config.anything", "1"},
                  {"inbox.consumers", "orders, billing"},
                  {"inbox.consumer.orders.queue", "q1"},
                  {"inbox.consumer.orders.prefetch", "50"},
                  {"inbox.consumer.orders.plugins", "h"},
                  {"inbox.consumer.billing.queue", "q2"},
                  {"amqp.exchange.bus.type", "topic"},
                  {"amqp.queue.q1.bindings", "bus:order.#, bus:invoice.*"}});
        std::vector<std::string> warnings;
        Settings s = load(p, &warnings);
        CPPUNIT_ASSERT(warnings.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.inbox.consumers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("q1"), s.inbox.consumers[0].queue);
        CPPUNIT_ASSERT_EQUAL(50, s.inbox.consumers[0].prefetch);
        CPPUNIT_ASSERT_EQUAL(std::string("h"), s.inbox.consumers[0].plugins.at(0));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.plugin("h")->classes.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.amqp.queues.at(0).bindings.size());
        CPPUNIT_ASSERT_EQUAL(std::string("invoice.*"), s.amqp.queues[0].bindings[1].pattern);
    }

    void testAmqpUserAndPasswordOverrideTheUrlCredentials() {
        // A secret as a secret store makes them: every character the URL syntax reserves.
        const std::string secret = "s3cr/et+9x==:@%?# ";
        ::setenv("MSGBUS_SETTINGS_TEST_AMQP_PASSWORD", secret.c_str(), 1);
        const std::string ref = "${system.env.MSGBUS_SETTINGS_TEST_AMQP_PASSWORD}";
        auto p =
            with(with(with(minimal(), "amqp.url", "amqp://127.0.0.1:5673/%2f"), "amqp.user", "bus"),
                 "amqp.password", ref);
        std::vector<std::string> warnings;
        auto url = msgbus::core::amqp::AmqpUrl::parse(load(p, &warnings).amqp.url);
        CPPUNIT_ASSERT(warnings.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("bus"), url.user());
        CPPUNIT_ASSERT_EQUAL(secret, url.password());
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:5673"), url.endpoint());
        CPPUNIT_ASSERT_EQUAL(std::string("/"), url.vhost());

        // Only the password: the URL's user stays.
        p = with(minimal(), "amqp.password", ref);
        url = msgbus::core::amqp::AmqpUrl::parse(load(p).amqp.url);
        CPPUNIT_ASSERT_EQUAL(std::string("u"), url.user());
        CPPUNIT_ASSERT_EQUAL(secret, url.password());

        ::unsetenv("MSGBUS_SETTINGS_UNSET_PASSWORD");
        assertContains(errorOf(with(minimal(), "amqp.password",
                                    "${system.env.MSGBUS_SETTINGS_UNSET_PASSWORD}")),
                       "'amqp.password': refers to a variable that is not set");
    }

    void testBadAmqpUrlIsNamedAndNeverQuotesThePassword() {
        // Was: "invalid AMQP URL: port 's3cr' is not a number", at the first connection.
        const std::string secret = "s3cr/et+9x==";
        ::setenv("MSGBUS_SETTINGS_TEST_AMQP_PASSWORD", secret.c_str(), 1);
        const std::string ref = "${system.env.MSGBUS_SETTINGS_TEST_AMQP_PASSWORD}";
        std::string what =
            errorOf(with(minimal(), "amqp.url", "amqp://u:" + ref + "@127.0.0.1:5672/%2f"));
        assertContains(what, "'amqp.url'");
        assertContains(what, "amqp.password");
        assertNoFragmentOf(secret, what);
        for (const std::string& url :
             {"amqp://u:" + ref + "@127.0.0.1:x/%2f", "amqp://u:" + ref, "u:" + ref + "@h",
              "amqp://u:" + ref + "@/%2f", "amqp://u:" + ref + "%zz@h"}) {
            what = errorOf(with(minimal(), "amqp.url", url));
            assertContains(what, "'amqp.url'");
            assertNoFragmentOf(secret, what);
        }
    }

    void testEverySpellingOfOneSqliteFileGivesOnePath() {
        // Was: "./x.db" and "x.db" (or a symlink) gave two relay lock files, so two relays.
        namespace fs = std::filesystem;
        const fs::path dir =
            fs::temp_directory_path() / ("msgbus_settings_sqlite_" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir / "sub");
        std::ofstream(dir / "x.db").put('\0');
        fs::create_symlink(dir / "x.db", dir / "link.db");
        fs::create_directory_symlink(dir, dir / "sub" / "up");
        const std::string relative = fs::relative(dir, fs::current_path()).string();
        auto pathOf = [](const std::string& spelling) {
            return load(with(minimal(), "db.connection", spelling)).db.connection;
        };
        const std::string expected = fs::canonical(dir / "x.db").string();
        for (const std::string& spelling :
             {(dir / "x.db").string(), relative + "/x.db", "./" + relative + "/x.db",
              (dir / "sub" / ".." / "x.db").string(), (dir / "link.db").string(),
              (dir / "sub" / "up" / "x.db").string()})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(spelling, expected, pathOf(spelling));
        // A file that does not exist yet: its directory is resolved all the same.
        CPPUNIT_ASSERT_EQUAL(fs::canonical(dir).string() + "/new.db",
                             pathOf((dir / "sub" / "up" / "new.db").string()));
        CPPUNIT_ASSERT_EQUAL(std::string(":memory:"), pathOf(":memory:"));
        fs::remove_all(dir);
    }

private:
    /// No piece of secret of 3 characters or more appears in text.
    static void assertNoFragmentOf(const std::string& secret, const std::string& text) {
        for (std::size_t i = 0; i + 3 <= secret.size(); ++i)
            CPPUNIT_ASSERT_MESSAGE("'" + text + "' quotes part of the secret",
                                   text.find(secret.substr(i, 3)) == std::string::npos);
    }

    void testSeveralBrokerNodesShareTheCredentials() {
        auto p = with(with(minimal(), "amqp.url",
                           "amqp://u:p@10.0.0.1:5672/%2f, amqp://u:p@10.0.0.2:5673/%2f,"
                           "amqp://10.0.0.3/%2f"),
                      "amqp.password", "a,b@c");
        auto nodes = msgbus::core::amqp::AmqpNodes::parse(load(p).amqp.url);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), nodes.size());
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1:5672, 10.0.0.2:5673, 10.0.0.3:5672"),
                             nodes.endpoints());
        for (const auto& url : nodes.urls())
            CPPUNIT_ASSERT_EQUAL(std::string("a,b@c"), url.password());
        CPPUNIT_ASSERT_EQUAL(std::string("guest"), nodes.urls()[2].user());

        const auto error = errorOf(
            with(minimal(), "amqp.url", "amqp://u:secretpw@h1:5672/%2f,,amqp://u:p@h3/%2f"));
        assertContains(error, "amqp.url");
        assertContains(error, "node 2 of 3");
        CPPUNIT_ASSERT(error.find("secretpw") == std::string::npos);
        assertContains(errorOf(with(minimal(), "amqp.url",
                                    "amqp://u:p@h1:5672/%2f,amqp://u:secretpw@h2:99999/%2f")),
                       "node 2 of 2");
    }

    void testQueueTypeAndTypedArgumentsAreRead() {
        auto p = minimal();
        p["amqp.queue.orders.bindings"] = "events:order.#";
        p["amqp.queue.orders.type"] = "quorum";
        p["amqp.queue.orders.argument.x-delivery-limit"] = "50";
        p["amqp.queue.orders.argument.x-single-active-consumer"] = "true";
        p["amqp.queue.orders.argument.x-dead-letter-exchange"] = "orders.dead";
        p["amqp.queue.orders.argument.x-dead-letter-routing-key"] = "404"; // a name, not a number
        p["amqp.queue.audit.bindings"] = "events:#";
        std::vector<std::string> warnings;
        auto s = load(p, &warnings);
        CPPUNIT_ASSERT(warnings.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.amqp.queues.size());
        const auto& audit = s.amqp.queues[0].name == "audit" ? s.amqp.queues[0] : s.amqp.queues[1];
        const auto& orders =
            s.amqp.queues[0].name == "orders" ? s.amqp.queues[0] : s.amqp.queues[1];
        CPPUNIT_ASSERT_EQUAL(std::string("classic"), audit.type);
        CPPUNIT_ASSERT(audit.arguments.empty());
        CPPUNIT_ASSERT(!audit.deliveryLimit());
        CPPUNIT_ASSERT_EQUAL(std::string("quorum"), orders.type);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), orders.arguments.size());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(50), *orders.deliveryLimit());
        for (const auto& argument : orders.arguments) {
            if (argument.name == "x-single-active-consumer")
                CPPUNIT_ASSERT(std::get<bool>(argument.value));
            else if (argument.name == "x-dead-letter-routing-key")
                CPPUNIT_ASSERT_EQUAL(std::string("404"), std::get<std::string>(argument.value));
            else if (argument.name == "x-dead-letter-exchange")
                CPPUNIT_ASSERT_EQUAL(std::string("orders.dead"),
                                     std::get<std::string>(argument.value));
        }

        auto bad = minimal();
        bad["amqp.queue.orders.type"] = "stream";
        assertContains(errorOf(bad), "amqp.queue.orders.type");
        bad = minimal();
        bad["amqp.queue.orders.argument.x-max-length"] = "many";
        assertContains(errorOf(bad), "amqp.queue.orders.argument.x-max-length");
        bad = minimal();
        bad["amqp.queue.orders.argument.x-single-active-consumer"] = "1";
        assertContains(errorOf(bad), "not true or false");
        bad = minimal();
        bad["amqp.queue.orders.argument.delivery-limit"] = "5";
        assertContains(errorOf(bad), "named x-");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SettingsTest);
