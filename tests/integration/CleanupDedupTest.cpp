// cleanup:dedup refuses an age shorter than the retry horizon: removing the deduplication row
// of a message that can still come back would let its handlers run twice.
#include "core/config/RetryHorizon.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/inbox/DedupStore.h"
#include "core/util/Clock.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <map>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class CleanupDedupTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CleanupDedupTest);
    CPPUNIT_TEST(testAgeBelowOneHourIsRefusedUnlessForced);
    CPPUNIT_TEST(testAgeBelowALongRetryHorizonIsRefusedNamingTheMinimum);
    CPPUNIT_TEST(testRetryHorizonSumsTheCappedDelays);
    CPPUNIT_TEST_SUITE_END();

    std::string _dir;

public:
    void setUp() override { _dir = test::tempDir("cleanupdedup"); }

    void tearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(_dir, ignored);
    }

    void testAgeBelowOneHourIsRefusedUnlessForced() {
        // The default retry schedule (3 retries, 1 s doubling) ends within seconds: 1h applies.
        Bus bus(_dir, {});
        bus.insertRows(10, 2LL * 3600 * 1000); // two hours old
        bus.insertRows(5, 10LL * 60 * 1000);   // ten minutes old

        std::string out = bus.run("cleanup:dedup --older-than 30m", 2);
        assertContains(out, "--older-than 30m is shorter than the retry horizon");
        assertContains(out, "the minimum is 1h");
        assertContains(out, "retry.max_retries = 3");
        assertContains(out, "--force");
        CPPUNIT_ASSERT_EQUAL(15, bus.rows());

        out = bus.run("cleanup:dedup --older-than 30m --force");
        assertContains(out, "removed 10");
        CPPUNIT_ASSERT_EQUAL(5, bus.rows());
        out = bus.run("cleanup:dedup --older-than 1h");
        assertContains(out, "removed 0");
    }

    void testAgeBelowALongRetryHorizonIsRefusedNamingTheMinimum() {
        // 1 h, 2 h, 4 h, 8 h, then capped at 10 h: 25 h in all.
        Bus bus(_dir, {{"retry.max_retries", "5"},
                       {"retry.delay_ms", "3600000"},
                       {"retry.multiplier", "2"},
                       {"retry.max_delay_ms", "36000000"}});
        bus.insertRows(3, 26LL * 3600 * 1000);
        bus.insertRows(4, 24LL * 3600 * 1000);
        std::string out = bus.run("cleanup:dedup --older-than 1d", 2);
        assertContains(out, "retried up to 1d 1h after its first delivery");
        assertContains(out, "the minimum is 1d 1h");
        CPPUNIT_ASSERT_EQUAL(7, bus.rows());
        out = bus.run("cleanup:dedup --older-than 25h");
        assertContains(out, "removed 3");
        CPPUNIT_ASSERT_EQUAL(4, bus.rows());
    }

    void testRetryHorizonSumsTheCappedDelays() {
        core::RetrySettings retry;
        retry.maxRetries = 4;
        retry.delay = std::chrono::milliseconds(1000);
        retry.multiplier = 3.0;
        retry.maxDelay = std::chrono::milliseconds(5000);
        // 1 s + 3 s + 5 s (9 s capped) + 5 s.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(14000), core::retryHorizon(retry).count());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3600000), core::minimumDedupRetention(retry).count());
        retry.maxRetries = 0;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), core::retryHorizon(retry).count());
        CPPUNIT_ASSERT_EQUAL(std::string("1d 1h"), core::durationText(std::chrono::hours(25)));
        CPPUNIT_ASSERT_EQUAL(std::string("14s"),
                             core::durationText(std::chrono::milliseconds(14000)));
    }

private:
    /// An SQLite bus with its schema and a properties file for the binary.
    struct Bus {
        std::string config;
        core::Settings settings;
        std::unique_ptr<core::Database> database;

        Bus(const std::string& dir, const std::map<std::string, std::string>& extra) {
            std::map<std::string, std::string> props{
                {"db.connector", "SQLite"},
                {"db.connection", dir + "/bus.db"},
                {"amqp.url", "amqp://u:p@127.0.0.1:1/%2f"}, // never connected
                {"dedup.table", test::uniqueName("dedup")}};
            for (const auto& [key, value] : extra)
                props[key] = value;
            config = test::writeProperties(dir + "/msgbus.properties", props);
            settings = core::Settings::load(*test::configFrom(props));
            database = std::make_unique<core::Database>(settings.db);
            core::Schema::apply(*database,
                                {settings.outbox.table, settings.dedupTable, settings.failedTable});
        }

        void insertRows(int n, std::int64_t ageMs) {
            core::DedupStore dedup(database->dialect(), settings.dedupTable);
            auto session = database->session();
            for (int i = 0; i < n; ++i)
                dedup.tryInsert(*session, Id::generate(), "c", "order.placed",
                                core::nowMillis() - ageMs);
        }

        int rows() {
            auto session = database->session();
            int n = -1;
            *session << "SELECT COUNT(*) FROM " + settings.dedupTable, into(n), now;
            return n;
        }

        std::string run(const std::string& args, int expectedExit = 0) {
            std::string output;
            int rc = test::runCommand(test::msgbusBinary() + " " + args + " --config " + config,
                                      &output);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(args + ": " + output, expectedExit, rc);
            return output;
        }
    };

    static void assertContains(const std::string& text, const std::string& part) {
        CPPUNIT_ASSERT_MESSAGE("'" + text + "' lacks '" + part + "'",
                               text.find(part) != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CleanupDedupTest);
