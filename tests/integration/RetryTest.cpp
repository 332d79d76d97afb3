// Handler failures against real MariaDB and RabbitMQ: retry rows, the retry worker, failed rows
// after retry.max_retries, and one effect in the end.
#include "core/failed/FailedStore.h"
#include "core/inbox/RetryWorker.h"
#include "support/FlakyBus.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class RetryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RetryTest);
    CPPUNIT_TEST(testHandlerFailingTwiceThenSucceedingHasOneEffectAndNoRetryRow);
    CPPUNIT_TEST(testAlwaysFailingHandlerEndsAsFailedRowAfterMaxRetries);
    CPPUNIT_TEST(testFailingMessageDoesNotUndoTheOthersInItsBatch);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::FlakyBus {
        explicit Bus(const std::string& connector)
            : FlakyBus("retry", connector,
                       {{"retry.max_retries", "3"},
                        {"retry.delay_ms", "20"},
                        {"retry.multiplier", "1"}}) {}

        /// Runs the retry worker until no retry row is left or the deadline passes.
        void retryUntilSettled() {
            core::RetryWorker worker(*database, plugins, core::retryWorkerSettingsOf(settings),
                                     metrics, {});
            auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
            while (count("SELECT COUNT(*) FROM " + settings.failedTable +
                         " WHERE queue_name = 'retry'") > 0 &&
                   std::chrono::steady_clock::now() < deadline) {
                worker.retryDue();
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
            }
        }
    };

public:
    void testHandlerFailingTwiceThenSucceedingHasOneEffectAndNoRetryRow() {
        Bus bus("MySQL");
        bus.sendFlaky({{"k1", 2, std::nullopt}});
        bus.consume(1);
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable +
                                          " WHERE queue_name = 'retry'"));
        bus.retryUntilSettled();
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(*) FROM flaky_effects"));
        CPPUNIT_ASSERT_EQUAL(3, bus.count("SELECT attempt FROM flaky_effects WHERE k = 'k1'"));
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable));
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
    }

    void testAlwaysFailingHandlerEndsAsFailedRowAfterMaxRetries() {
        Bus bus("SQLite");
        bus.sendFlaky({{"k2", 1000, std::nullopt}});
        bus.consume(1);
        bus.retryUntilSettled();
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM flaky_effects"));
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        auto session = bus.database->session();
        core::FailedStore failed(bus.database->dialect(), bus.settings.failedTable);
        auto rows = failed.list(*session, "", "", "", 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), rows[0].queueName);
        CPPUNIT_ASSERT_EQUAL(4, rows[0].attempts); // the first delivery + 3 retries
        CPPUNIT_ASSERT(rows[0].failedAt.has_value());
        CPPUNIT_ASSERT(rows[0].errorMessage.find("fails on purpose") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("amqp:flaky"), rows[0].source);
    }

    void testFailingMessageDoesNotUndoTheOthersInItsBatch() {
        Bus bus("MySQL");
        std::vector<Bus::Flaky> batch;
        for (int i = 0; i < 50; ++i)
            batch.push_back({"ok" + std::to_string(i), i == 25 ? 1000 : 0, std::nullopt});
        bus.sendFlaky(batch);
        bus.consume(50);
        CPPUNIT_ASSERT_EQUAL(49, bus.count("SELECT COUNT(*) FROM flaky_effects"));
        CPPUNIT_ASSERT_EQUAL(49, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable +
                                          " WHERE queue_name = 'retry'"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(49), bus.metrics.consumed.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus.metrics.retried.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RetryTest);
