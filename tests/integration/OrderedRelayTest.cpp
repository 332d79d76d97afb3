// outbox.ordered = true against real MariaDB and RabbitMQ: per-key order with one owner per
// lane, takeover of a dead owner's lanes, and a failing head that holds back only its own key.
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/Transaction.h"
#include "core/metrics/Metrics.h"
#include "core/outbox/LaneOwnership.h"
#include "core/outbox/OutboxRelay.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <msgbus/OutboxWriter.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <set>
#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class OrderedRelayTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OrderedRelayTest);
    CPPUNIT_TEST(testLaneOfMatchesMariaDbCrc32);
    CPPUNIT_TEST(testTwoRelaysKeepPerKeyOrderAndSplitTheLanes);
    CPPUNIT_TEST(testDeadOwnersLanesAreTakenOverInOrder);
    CPPUNIT_TEST(testFailingHeadHoldsBackOnlyItsOwnKey);
    CPPUNIT_TEST(testUnencodableHeadSendsNothingOfItsKey);
    CPPUNIT_TEST(testKeyWhoseEarlierRowIsHeldElsewhereWaitsForIt);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        explicit Bus(std::map<std::string, std::string> extra = {}) : ScratchBus("ord") {
            extra.emplace("outbox.ordered", "true");
            extra.emplace("outbox.lanes", "8");
            extra.emplace("outbox.workers", "2");
            extra.emplace("outbox.batch_size", "100");
            open("MySQL", extra, "order.#");
        }

        /// Writes perKey messages for each of keys keys, interleaved; payload {"k":key,"n":i}.
        void write(int keys, int perKey, const std::string& name = "order.placed") {
            auto session = database->session();
            core::Transaction tx(*session, database->dialect());
            OutboxWriter writer(*session, {settings.outbox.table, settings.outbox.maxBodyBytes});
            for (int i = 0; i < perKey; ++i)
                for (int k = 0; k < keys; ++k) {
                    Message m(name, R"({"k":"key-)" + std::to_string(k) + R"(","n":)" +
                                        std::to_string(i) + "}");
                    m.setPartitionKey("key-" + std::to_string(k));
                    writer.write(m);
                }
            tx.commit();
        }

        int outboxRows() { return count("SELECT COUNT(*) FROM " + settings.outbox.table); }

        /// Every delivery in queue order as (key, n); the first copy of each id only.
        std::vector<std::pair<std::string, int>> drain() {
            core::amqp::AmqpConsumer::Options options;
            options.queue = queue;
            options.prefetch = 1000;
            core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(test::amqpUrl()), options);
            consumer.connect();
            std::vector<std::pair<std::string, int>> out;
            std::set<std::string> seen;
            while (auto d = consumer.next(std::chrono::milliseconds(1000))) {
                if (seen.insert(d->wire.header("x-message-id")->text).second) {
                    Poco::JSON::Parser parser;
                    auto o = parser.parse(d->wire.body).extract<Poco::JSON::Object::Ptr>();
                    out.emplace_back(o->getValue<std::string>("k"), o->getValue<int>("n"));
                }
                consumer.ack(d->deliveryTag, false, d->connectionEpoch);
            }
            return out;
        }
    };

    static void assertPerKeyOrder(const std::vector<std::pair<std::string, int>>& deliveries,
                                  int keys, int perKey) {
        std::map<std::string, int> next;
        for (const auto& [key, n] : deliveries) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE("order of " + key, next[key], n);
            ++next[key];
        }
        CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(keys), next.size());
        for (const auto& [key, count] : next)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(key, perKey, count);
    }

public:
    void testLaneOfMatchesMariaDbCrc32() {
        core::Database db({"MySQL", test::createMysqlDatabase(), 1});
        auto session = db.session();
        for (const std::string key : {"a", "key-17", "customer/ä", "x y z"}) {
            Poco::Int64 lane = -1;
            std::string k = key;
            *session << "SELECT MOD(CRC32(?), 8)", use(k), into(lane), now;
            CPPUNIT_ASSERT_EQUAL(static_cast<int>(lane), core::LaneOwnership::laneOf(key, 8));
        }
    }

    void testTwoRelaysKeepPerKeyOrderAndSplitTheLanes() {
        Bus bus;
        bus.write(20, 50);
        core::OutboxRelay a(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                            bus.metrics, 0);
        core::OutboxRelay b(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                            bus.metrics, 1);
        for (int round = 0; round < 400 && bus.outboxRows() > 0; ++round) {
            a.relayBatch();
            b.relayBatch();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        assertPerKeyOrder(bus.drain(), 20, 50);
    }

    void testDeadOwnersLanesAreTakenOverInOrder() {
        Bus bus(std::map<std::string, std::string>{{"outbox.batch_size", "30"}});
        bus.write(10, 40);
        core::OutboxRelay survivor(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                   bus.metrics, 1);
        {
            core::OutboxRelay owner(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                    bus.metrics, 0);
            for (int i = 0; i < 3; ++i) {
                owner.relayBatch();
                survivor.relayBatch();
            }
        } // the owner dies: its lock connection closes, its lanes are free
        for (int round = 0; round < 300 && bus.outboxRows() > 0; ++round) {
            survivor.relayBatch();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        assertPerKeyOrder(bus.drain(), 10, 40);
    }

    void testFailingHeadHoldsBackOnlyItsOwnKey() {
        Bus bus(std::map<std::string, std::string>{{"outbox.workers", "1"},
                                                   {"outbox.retry_delay_ms", "60000"}});
        // key-0's first message is unroutable (nothing bound to invoice.#); the others are fine.
        {
            auto session = bus.database->session();
            core::Transaction tx(*session, bus.database->dialect());
            OutboxWriter writer(*session, {bus.settings.outbox.table, 1024});
            Message head("invoice.paid", R"({"k":"key-0","n":-1})");
            head.setPartitionKey("key-0");
            writer.write(head);
            tx.commit();
        }
        bus.write(3, 5);
        core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                bus.metrics, 0);
        for (int round = 0; round < 10; ++round)
            relay.relayBatch();
        // key-0: its head waits a minute and its 5 rows stay behind it in the outbox (they went
        // out once in the head's batch, before its return arrived: the consumer deduplicates
        // their copies when they follow the head); key-1 and key-2 are done, in order.
        CPPUNIT_ASSERT_EQUAL(6, bus.outboxRows());
        for (int round = 0; round < 5; ++round)
            relay.relayBatch();
        CPPUNIT_ASSERT_EQUAL(6, bus.outboxRows()); // nothing of key-0 overtakes its head
        std::vector<std::pair<std::string, int>> others;
        for (const auto& d : bus.drain()) {
            CPPUNIT_ASSERT(d.second != -1);
            if (d.first != "key-0")
                others.push_back(d);
        }
        assertPerKeyOrder(others, 2, 5);
    }

    void testKeyWhoseEarlierRowIsHeldElsewhereWaitsForIt() {
        // Another relay's batch holds key-0's first row (its lane lock was lost mid-batch, and
        // this relay took the lane over): key-0's later rows must not overtake it.
        Bus bus(std::map<std::string, std::string>{{"outbox.workers", "1"}});
        bus.write(3, 3);
        core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                bus.metrics, 0);
        {
            auto other = bus.database->session();
            core::Transaction held(*other, bus.database->dialect());
            Poco::Int64 seq = 0;
            *other << "SELECT MIN(seq) FROM " + bus.settings.outbox.table +
                          " WHERE partition_key = 'key-0'",
                into(seq), now;
            *other << "SELECT seq FROM " + bus.settings.outbox.table +
                          " WHERE seq = " + std::to_string(seq) + " FOR UPDATE",
                now;
            for (int round = 0; round < 3; ++round)
                relay.relayBatch();
            auto first = bus.drain();
            CPPUNIT_ASSERT_EQUAL(std::size_t(6), first.size());
            for (const auto& d : first)
                CPPUNIT_ASSERT_MESSAGE("key-0 row " + std::to_string(d.second) +
                                           " overtook the held one",
                                       d.first != "key-0");
            CPPUNIT_ASSERT_EQUAL(3, bus.outboxRows());
        } // the other batch goes away without publishing
        while (relay.relayBatch() > 0) {
        }
        auto rest = bus.drain();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), rest.size());
        for (int n = 0; n < 3; ++n)
            CPPUNIT_ASSERT(rest[n] == std::make_pair(std::string("key-0"), n));
    }

    void testUnencodableHeadSendsNothingOfItsKey() {
        Bus bus(std::map<std::string, std::string>{{"outbox.workers", "1"},
                                                   {"outbox.retry_delay_ms", "60000"}});
        // key-0's first row has headers that are not JSON (written by something else than
        // OutboxWriter): it fails before publishing, and so its key's later rows in the same
        // batch are not published either, not even once.
        bus.write(3, 5);
        {
            auto session = bus.database->session();
            *session << "UPDATE " + bus.settings.outbox.table +
                            " SET headers = '{not json' WHERE seq = (SELECT MIN(seq) FROM " +
                            bus.settings.outbox.table + " t WHERE partition_key = 'key-0')",
                now;
        }
        core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                bus.metrics, 0);
        for (int round = 0; round < 5; ++round)
            relay.relayBatch();
        CPPUNIT_ASSERT_EQUAL(5, bus.outboxRows());
        std::vector<std::pair<std::string, int>> others;
        for (const auto& d : bus.drain()) {
            CPPUNIT_ASSERT_MESSAGE("key-0 row " + std::to_string(d.second) + " was published",
                                   d.first != "key-0");
            others.push_back(d);
        }
        assertPerKeyOrder(others, 2, 5);
        auto session = bus.database->session();
        std::string error;
        *session << "SELECT last_error FROM " + bus.settings.outbox.table + " WHERE attempts = 1",
            into(error), now;
        CPPUNIT_ASSERT_MESSAGE(error, error.find("encode/route failed") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OrderedRelayTest);
