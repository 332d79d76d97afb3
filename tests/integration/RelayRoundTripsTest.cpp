// The round trips of a relay batch on the real MariaDB, counted from the bytes: the relay's
// database goes through a TcpRelay that reads the MySQL commands each client sends. A batch
// costs the same few round trips whether it holds 10 rows or 100, and every one of them is a
// text query: the claim (its begin, the candidates' read and the locking read in one), and the
// DELETE of the confirmed rows with the COMMIT and the session's reset. No prepared statement (a
// prepare and an execute: two round trips) is left on a batch's way to the broker.
#include "core/config/WorkerSettings.h"
#include "core/outbox/OutboxRelay.h"
#include "support/ScratchBus.h"
#include "support/TcpRelay.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;

class RelayRoundTripsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RelayRoundTripsTest);
    CPPUNIT_TEST(testABatchOfAHundredCostsAsManyRoundTripsAsABatchOfTen);
    CPPUNIT_TEST_SUITE_END();

    /// A bus whose relay reaches MariaDB through relay, so that its commands can be counted.
    struct Bus : test::ScratchBus {
        Bus() : ScratchBus("relayroundtrips"), relay(test::relayToMariaDb()) {
            open("MySQL", {{"outbox.batch_size", "100"}});
            auto db = settings.db;
            db.connection = relay.through(db.connection);
            counted = std::make_unique<core::Database>(db);
            outboxRelay = std::make_unique<core::OutboxRelay>(
                *counted, plugins, core::relaySettingsOf(settings), metrics, 0);
        }

        /// The round trips of relaying count rows in one batch (the session already pooled).
        int roundTripsOf(int count) {
            writeOutbox(count, "test.roundtrips");
            relay.resetMysqlCommands();
            CPPUNIT_ASSERT_EQUAL(count, outboxRelay->relayBatch());
            return relay.mysqlRoundTrips();
        }

        test::TcpRelay relay;
        std::unique_ptr<core::Database> counted;
        std::unique_ptr<core::OutboxRelay> outboxRelay;
    };

public:
    void testABatchOfAHundredCostsAsManyRoundTripsAsABatchOfTen() {
        Bus bus;
        // The first batch connects (handshake, session defaults); the later ones reuse it.
        bus.roundTripsOf(5);
        const int ten = bus.roundTripsOf(10);
        const std::string tenCommands = bus.relay.describeMysqlCommands();
        const int hundred = bus.roundTripsOf(100);
        const std::string what = "10 rows:" + tenCommands +
                                 "; 100 rows:" + bus.relay.describeMysqlCommands() +
                                 " (command byte: count)";
        // 2 on this machine, both text queries (0x03): "SET autocommit = 0; SELECT ... FOR
        // UPDATE SKIP LOCKED" (the claim), "DELETE ...; COMMIT; SET autocommit = 1, ..." (the
        // settle). One more when the session had been idle long enough to be pinged (a slow
        // moment on a loaded machine).
        CPPUNIT_ASSERT_MESSAGE(what, ten <= 3);
        CPPUNIT_ASSERT_MESSAGE(what, hundred <= ten + 1);
        CPPUNIT_ASSERT_MESSAGE(what, tenCommands.find("0x16") == std::string::npos); // prepare
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM " + bus.settings.outbox.table));
        CPPUNIT_ASSERT_EQUAL(std::size_t(115), bus.drainMessageIds().size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RelayRoundTripsTest);
