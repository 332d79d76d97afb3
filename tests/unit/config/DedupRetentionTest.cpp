// dedup.retention: how long deduplication rows are kept (cleanup:dedup's default age,
// failed:retry's window). Below the retry horizon it would let a retried message run its handlers
// twice, so the configuration refuses it naming the key and the minimum.
#include "core/config/ConfigError.h"
#include "core/config/RetryHorizon.h"
#include "core/config/Settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>

#include <cppunit/extensions/HelperMacros.h>

#include <map>

using msgbus::core::ConfigError;
using msgbus::core::Settings;
using std::chrono::hours;
using std::chrono::milliseconds;

class DedupRetentionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DedupRetentionTest);
    CPPUNIT_TEST(testDefaultIsSevenDays);
    CPPUNIT_TEST(testDurationsInEachUnit);
    CPPUNIT_TEST(testWhatIsNotADurationIsNamed);
    CPPUNIT_TEST(testBelowOneHourIsRefusedNamingTheMinimum);
    CPPUNIT_TEST(testBelowALongRetryHorizonIsRefusedNamingTheMinimum);
    CPPUNIT_TEST(testTheMinimumItselfIsAccepted);
    CPPUNIT_TEST(testUnsetFollowsARetryScheduleLongerThanTheDefault);
    CPPUNIT_TEST_SUITE_END();

    static std::map<std::string, std::string> props(std::map<std::string, std::string> extra = {}) {
        std::map<std::string, std::string> out{{"db.connector", "SQLite"},
                                               {"db.connection", "/tmp/x.db"},
                                               {"amqp.url", "amqp://u:p@127.0.0.1:5672/%2f"}};
        for (const auto& [key, value] : extra)
            out[key] = value;
        return out;
    }

    static Settings load(const std::map<std::string, std::string>& properties) {
        Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
        for (const auto& [k, v] : properties)
            map->setString(k, v);
        Poco::AutoPtr<Poco::Util::LayeredConfiguration> config(
            new Poco::Util::LayeredConfiguration);
        config->add(map, "file", 0, false);
        return Settings::load(*config);
    }

    static std::string errorOf(const std::map<std::string, std::string>& properties) {
        try {
            load(properties);
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("dedup.retention"), e.key());
            return e.what();
        }
        CPPUNIT_FAIL("configuration was accepted");
        return "";
    }

    static void assertContains(const std::string& text, const std::string& part) {
        CPPUNIT_ASSERT_MESSAGE("'" + text + "' lacks '" + part + "'",
                               text.find(part) != std::string::npos);
    }

    // Five retries, 1 h doubling, capped at 10 h: 1 + 2 + 4 + 8 + 10 = 25 h.
    static std::map<std::string, std::string> longSchedule(const std::string& retention) {
        std::map<std::string, std::string> extra{{"retry.max_retries", "5"},
                                                 {"retry.delay_ms", "3600000"},
                                                 {"retry.multiplier", "2"},
                                                 {"retry.max_delay_ms", "36000000"}};
        if (!retention.empty())
            extra["dedup.retention"] = retention;
        return props(extra);
    }

public:
    void testDefaultIsSevenDays() {
        CPPUNIT_ASSERT(load(props()).dedupRetention == hours(7 * 24));
        // A named object: GCC 12 warns (wrongly) that a temporary Settings{} may be read
        // uninitialized once Settings grows past a certain size.
        const Settings defaults;
        CPPUNIT_ASSERT(defaults.dedupRetention == hours(7 * 24));
    }

    void testDurationsInEachUnit() {
        CPPUNIT_ASSERT(load(props({{"dedup.retention", "30d"}})).dedupRetention == hours(720));
        CPPUNIT_ASSERT(load(props({{"dedup.retention", "12h"}})).dedupRetention == hours(12));
        CPPUNIT_ASSERT(load(props({{"dedup.retention", "90m"}})).dedupRetention ==
                       milliseconds(90 * 60000));
        CPPUNIT_ASSERT(load(props({{"dedup.retention", "3600s"}})).dedupRetention == hours(1));
    }

    void testWhatIsNotADurationIsNamed() {
        for (const std::string text : {"7", "7w", "-7d", "7.5d", "seven days"}) {
            const auto message = errorOf(props({{"dedup.retention", text}}));
            assertContains(message, "'" + text + "' is not a duration");
            assertContains(message, "15m, 7d");
        }
        assertContains(errorOf(props({{"dedup.retention", "999999999999d"}})), "too large");
    }

    void testBelowOneHourIsRefusedNamingTheMinimum() {
        // The default schedule ends within seconds: the floor of one hour applies.
        const auto message = errorOf(props({{"dedup.retention", "30m"}}));
        assertContains(message, "configuration key 'dedup.retention': 30m is shorter than the "
                                "retry horizon");
        assertContains(message, "the minimum is 1h");
    }

    void testBelowALongRetryHorizonIsRefusedNamingTheMinimum() {
        const auto message = errorOf(longSchedule("1d"));
        assertContains(message, "retried up to 1d 1h after its first delivery");
        assertContains(message, "the minimum is 1d 1h");
    }

    void testTheMinimumItselfIsAccepted() {
        CPPUNIT_ASSERT(load(longSchedule("25h")).dedupRetention == hours(25));
        CPPUNIT_ASSERT(load(props({{"dedup.retention", "1h"}})).dedupRetention == hours(1));
    }

    void testUnsetFollowsARetryScheduleLongerThanTheDefault() {
        // Ten retries of 1 d each: the default week would be refused, yet the file never set it.
        auto properties = props({{"retry.max_retries", "10"},
                                 {"retry.delay_ms", "86400000"},
                                 {"retry.multiplier", "1"},
                                 {"retry.max_delay_ms", "86400000"}});
        const auto settings = load(properties);
        CPPUNIT_ASSERT(settings.dedupRetention == hours(240));
        CPPUNIT_ASSERT(settings.dedupRetention ==
                       msgbus::core::minimumDedupRetention(settings.retry));
        properties["dedup.retention"] = "7d";
        assertContains(errorOf(properties), "the minimum is 10d");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DedupRetentionTest);
