// SessionDemand: `msgbus run` refuses a db.pool.max smaller than the sessions its workers hold
// at once, naming the keys and the numbers.
#include "core/config/SessionDemand.h"
#include "core/config/ConfigError.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::ConfigError;
using msgbus::core::requirePoolForHost;
using msgbus::core::SessionDemand;
using msgbus::core::Settings;

class SessionDemandTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionDemandTest);
    CPPUNIT_TEST(testCountsEveryLaneEveryRelayAndTheRetryWorker);
    CPPUNIT_TEST(testSqliteRunsOneRelay);
    CPPUNIT_TEST(testASmallerPoolIsRefusedNamingTheKeysAndNumbers);
    CPPUNIT_TEST_SUITE_END();

    static Settings twoConsumers(const std::string& connector, int pool) {
        Settings settings;
        settings.db.connector = connector;
        settings.db.poolMax = pool;
        settings.outbox.workers = 2;
        settings.inbox.consumers.resize(2);
        settings.inbox.consumers[0].name = "orders";
        settings.inbox.consumers[0].concurrency = 4;
        settings.inbox.consumers[1].name = "billing";
        settings.inbox.consumers[1].concurrency = 2;
        return settings;
    }

public:
    void testCountsEveryLaneEveryRelayAndTheRetryWorker() {
        const auto demand = SessionDemand::of(twoConsumers("MySQL", 9));
        CPPUNIT_ASSERT_EQUAL(6, demand.lanes);
        CPPUNIT_ASSERT_EQUAL(2, demand.relays);
        CPPUNIT_ASSERT_EQUAL(1, demand.retry);
        CPPUNIT_ASSERT_EQUAL(9, demand.total());
        requirePoolForHost(twoConsumers("MySQL", 9)); // exactly enough: accepted

        Settings relayOnly;
        relayOnly.db.connector = "MySQL";
        relayOnly.outbox.workers = 3;
        CPPUNIT_ASSERT_EQUAL(3, SessionDemand::of(relayOnly).total()); // no retry worker
    }

    void testSqliteRunsOneRelay() {
        CPPUNIT_ASSERT_EQUAL(8, SessionDemand::of(twoConsumers("SQLite", 8)).total());
        requirePoolForHost(twoConsumers("SQLite", 8));
    }

    void testASmallerPoolIsRefusedNamingTheKeysAndNumbers() {
        try {
            requirePoolForHost(twoConsumers("MySQL", 8));
            CPPUNIT_FAIL("a pool of 8 for 9 sessions was accepted");
        } catch (const ConfigError& e) {
            const std::string text = e.what();
            CPPUNIT_ASSERT_EQUAL(std::string("db.pool.max"), e.key());
            for (const char* part :
                 {"8 sessions are fewer than the 9", "inbox.consumer.orders.concurrency = 4",
                  "inbox.consumer.billing.concurrency = 2", "outbox.workers = 2", "1 retry worker",
                  "set db.pool.max to 9 or more"})
                CPPUNIT_ASSERT_MESSAGE(text, text.find(part) != std::string::npos);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionDemandTest);
