// LaneOwnership: which ordered lane a partition key belongs to (the same CRC32 as MariaDB's, so
// SQL and C++ agree), and which lanes a relay owns when it needs no lock.
#include "core/outbox/LaneOwnership.h"

#include <Poco/Logger.h>

#include <cppunit/extensions/HelperMacros.h>

#include <set>
#include <vector>

using msgbus::core::Database;
using msgbus::core::DatabaseSettings;
using msgbus::core::LaneOwnership;

namespace {

DatabaseSettings settings(const std::string& connector, const std::string& connection) {
    DatabaseSettings s;
    s.connector = connector;
    s.connection = connection;
    s.ioTimeout = std::chrono::milliseconds(1000);
    return s;
}

} // namespace

class LaneOwnershipTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LaneOwnershipTest);
    CPPUNIT_TEST(testLaneIsTheCrc32OfTheKeyModuloLanes);
    CPPUNIT_TEST(testEmptyKeyIsLaneZero);
    CPPUNIT_TEST(testOneLaneHoldsEveryKey);
    CPPUNIT_TEST(testLaneIsAlwaysWithinRange);
    CPPUNIT_TEST(testKeysSpreadOverEveryLane);
    CPPUNIT_TEST(testSqliteRelayOwnsEveryLaneAtOnce);
    CPPUNIT_TEST(testSqliteRelayWithoutLanesOwnsNothingAndAll);
    CPPUNIT_TEST(testMariaDbRelayOwnsNothingWhileItsLockConnectionFails);
    CPPUNIT_TEST_SUITE_END();

public:
    void testLaneIsTheCrc32OfTheKeyModuloLanes() {
        // CRC32('123456789') = 0xCBF43926, the standard check value; SELECT CRC32('customer-42')
        // = 1241360405 in MariaDB.
        CPPUNIT_ASSERT_EQUAL(6, LaneOwnership::laneOf("123456789", 16));
        CPPUNIT_ASSERT_EQUAL(2, LaneOwnership::laneOf("123456789", 10));
        CPPUNIT_ASSERT_EQUAL(5, LaneOwnership::laneOf("customer-42", 16));
        CPPUNIT_ASSERT_EQUAL(10, LaneOwnership::laneOf("order-7", 16));
        CPPUNIT_ASSERT_EQUAL(3, LaneOwnership::laneOf("order-7", 7));
    }

    void testEmptyKeyIsLaneZero() { CPPUNIT_ASSERT_EQUAL(0, LaneOwnership::laneOf("", 16)); }

    void testOneLaneHoldsEveryKey() {
        for (const char* key : {"", "a", "customer-42", "\xff\xfe"})
            CPPUNIT_ASSERT_EQUAL(0, LaneOwnership::laneOf(key, 1));
    }

    void testLaneIsAlwaysWithinRange() {
        for (int lanes : {1, 2, 3, 7, 16, 1024})
            for (int i = 0; i < 200; ++i) {
                const int lane = LaneOwnership::laneOf("key-" + std::to_string(i), lanes);
                CPPUNIT_ASSERT(lane >= 0 && lane < lanes);
            }
    }

    void testKeysSpreadOverEveryLane() {
        std::vector<int> perLane(8, 0);
        for (int i = 0; i < 800; ++i)
            ++perLane[LaneOwnership::laneOf("customer-" + std::to_string(i), 8)];
        for (int lane = 0; lane < 8; ++lane)
            CPPUNIT_ASSERT_MESSAGE(std::to_string(lane), perLane[lane] > 50);
    }

    void testSqliteRelayOwnsEveryLaneAtOnce() {
        // One relay per SQLite file: no lock is taken, refresh() changes nothing.
        Database db(settings("SQLite", "/nonexistent/never-opened.db"));
        LaneOwnership lanes(db, "msgbus_outbox", 4, 1, 2);
        CPPUNIT_ASSERT(lanes.ownsAll());
        CPPUNIT_ASSERT_EQUAL(4, lanes.lanes());
        lanes.refresh();
        CPPUNIT_ASSERT((std::set<int>{0, 1, 2, 3}) == lanes.owned());
    }

    void testSqliteRelayWithoutLanesOwnsNothingAndAll() {
        Database db(settings("SQLite", "/nonexistent/never-opened.db"));
        LaneOwnership lanes(db, "msgbus_outbox", 0, 0, 1);
        CPPUNIT_ASSERT(lanes.owned().empty());
        CPPUNIT_ASSERT(lanes.ownsAll());
    }

    void testMariaDbRelayOwnsNothingWhileItsLockConnectionFails() {
        // Port 1 on the loopback refuses at once: the lock connection cannot be had, so no lane
        // is owned (another relay may hold them) and refresh() does not throw.
        Poco::Logger::get("msgbus.relay").setLevel(Poco::Message::PRIO_ERROR);
        Database db(settings("MySQL", "host=127.0.0.1;port=1;db=bus;user=u;password=p"));
        LaneOwnership lanes(db, "msgbus_outbox", 4, 0, 1);
        CPPUNIT_ASSERT(lanes.owned().empty());
        lanes.refresh();
        CPPUNIT_ASSERT(lanes.owned().empty());
        CPPUNIT_ASSERT(!lanes.ownsAll());
        lanes.refresh();
        CPPUNIT_ASSERT(lanes.owned().empty());
        Poco::Logger::get("msgbus.relay").setLevel(Poco::Message::PRIO_INFORMATION);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LaneOwnershipTest);
