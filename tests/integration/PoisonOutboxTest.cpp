// "Poison between good rows" for the outbox relay, against the real MariaDB, SQLite and
// RabbitMQ: a row that cannot be read or that the broker refuses never stops the rows around
// it. The good rows are each published exactly once, the poison ends in the failed table with
// a reason, and the outbox ends empty.
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpUrl.h"
#include "core/db/Transaction.h"
#include "core/failed/FailedStore.h"
#include "core/outbox/OutboxRelay.h"
#include "core/util/StopToken.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <msgbus/OutboxWriter.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <functional>
#include <set>
#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class PoisonOutboxTest : public CppUnit::TestFixture {
public:
    CPPUNIT_TEST_SUITE(PoisonOutboxTest);
    CPPUNIT_TEST(testNilIdAtTheHeadDoesNotStopTheRelayOnMariaDb);
    CPPUNIT_TEST(testTextIdInSqliteBlobColumnFailsAlone);
    CPPUNIT_TEST(testBodyTheSerializerCallsMalformedFailsAtOnce);
    CPPUNIT_TEST(testRowsTheBrokerRefusesEndFailedAndTheOthersPass);
    CPPUNIT_TEST(testRowsTheBrokerRefusesEndFailedWhilePipelined);
    CPPUNIT_TEST(testRowOverTheBrokersMaxMessageSizeEndsFailed);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        Bus(const std::string& connector, const std::map<std::string, std::string>& extra)
            : ScratchBus("opoison") {
            std::map<std::string, std::string> properties{{"outbox.max_attempts", "2"},
                                                          {"outbox.retry_delay_ms", "1"},
                                                          {"outbox.max_retry_delay_ms", "1"},
                                                          {"outbox.batch_size", "100"}};
            for (const auto& [key, value] : extra)
                properties[key] = value;
            open(connector, properties, "order.#");
        }

        std::set<std::string> write(int count, const std::string& name) {
            std::set<std::string> ids;
            auto session = database->session();
            core::Transaction tx(*session, database->dialect());
            OutboxWriter writer(*session, {settings.outbox.table, settings.outbox.maxBodyBytes});
            for (int i = 0; i < count; ++i) {
                Message m(name, R"({"n":)" + std::to_string(i) + "}");
                ids.insert(writer.write(m).toString());
            }
            tx.commit();
            return ids;
        }

        void execute(const std::string& sql) {
            auto session = database->session();
            *session << sql, now;
        }

        int outboxRows() { return count("SELECT COUNT(*) FROM " + settings.outbox.table); }

        /// Relays until the outbox is empty (rows backing off are waited for), at most 30 s.
        void relayAll() {
            core::OutboxRelay relay(*database, plugins, core::relaySettingsOf(settings), metrics,
                                    0);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (outboxRows() > 0 && std::chrono::steady_clock::now() < deadline) {
                try {
                    while (relay.relayBatch() > 0) {
                    }
                } catch (const std::exception&) {
                    // A batch not fully confirmed: its rows stay and go out again.
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        }

        std::vector<core::FailedRecord> failedRows() {
            auto session = database->session();
            return core::FailedStore(database->dialect(), settings.failedTable)
                .list(*session, "failed", "outbox", "", 100);
        }
    };

    static bool contains(const std::string& text, const std::string& part) {
        return text.find(part) != std::string::npos;
    }

    static void assertPublishedOnce(const std::multiset<std::string>& received,
                                    const std::set<std::string>& good) {
        CPPUNIT_ASSERT_EQUAL(good.size(), received.size());
        CPPUNIT_ASSERT(std::set<std::string>(received.begin(), received.end()) == good);
    }

    static std::string rabbitmqctl(const std::string& args) {
        const char* ctl = std::getenv("MSGBUS_TEST_RABBITMQCTL");
        CPPUNIT_ASSERT_MESSAGE("MSGBUS_TEST_RABBITMQCTL is not set (run through ./run test)", ctl);
        std::string output;
        const int rc = test::runCommand(std::string(ctl) + " -q " + args, &output);
        CPPUNIT_ASSERT_MESSAGE("rabbitmqctl " + args + ": " + output, rc == 0);
        return output;
    }

    void testNilIdAtTheHeadDoesNotStopTheRelayOnMariaDb() {
        Bus bus("MySQL", {});
        bus.write(1, "order.placed");
        bus.execute("UPDATE " + bus.settings.outbox.table + " SET message_id = X'" +
                    std::string(32, '0') + "'");
        auto good = bus.write(200, "order.placed");
        bus.relayAll();
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        assertPublishedOnce(bus.drainMessageIds(), good);
        auto failed = bus.failedRows();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("UnreadableOutboxRow"), failed[0].errorClass);
        CPPUNIT_ASSERT_MESSAGE(failed[0].errorMessage,
                               contains(failed[0].errorMessage, "not a valid id"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":0})"), failed[0].body);
    }

    void testBodyTheSerializerCallsMalformedFailsAtOnce() {
        // A producer that bypassed OutboxWriter's checks left a body that is not JSON: the JSON
        // serializer refuses it as malformed, which no later attempt can change.
        Bus bus("MySQL", {{"outbox.max_attempts", "10"}});
        auto good = bus.write(50, "order.placed");
        bus.write(1, "order.placed");
        bus.execute("UPDATE " + bus.settings.outbox.table +
                    " SET body = 'not json' ORDER BY seq DESC LIMIT 1");
        for (const auto& id : bus.write(50, "order.placed"))
            good.insert(id);
        bus.relayAll();
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        assertPublishedOnce(bus.drainMessageIds(), good);
        auto failed = bus.failedRows();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(1, failed[0].attempts);
        CPPUNIT_ASSERT_MESSAGE(failed[0].errorMessage,
                               contains(failed[0].errorMessage, "not valid JSON"));
        CPPUNIT_ASSERT_EQUAL(std::string("not json"), failed[0].body);
    }

    void testTextIdInSqliteBlobColumnFailsAlone() {
        Bus bus("SQLite", {});
        auto before = bus.write(50, "order.placed");
        bus.write(1, "order.placed");
        // What a producer binding a UUID as text would leave in the BLOB column.
        bus.execute("UPDATE " + bus.settings.outbox.table +
                    " SET message_id = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' WHERE seq = "
                    "(SELECT MAX(seq) FROM " +
                    bus.settings.outbox.table + ")");
        auto after = bus.write(50, "order.placed");
        bus.relayAll();
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        before.insert(after.begin(), after.end());
        assertPublishedOnce(bus.drainMessageIds(), before);
        auto failed = bus.failedRows();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("UnreadableOutboxRow"), failed[0].errorClass);
    }

    /// A user that may write every exchange but one: publishing there closes the channel with
    /// 403 ACCESS_REFUSED, under every message in flight on it. good rows of order.placed and
    /// one order.secret (routed to the forbidden exchange) per round; relay runs the relay.
    void refusedRowsEndFailed(int rounds, int good, const std::map<std::string, std::string>& extra,
                              const std::function<void(Bus&)>& relay) {
        const std::string forbidden = test::uniqueName("forbidden_ex");
        const std::string user = test::uniqueName("restricted");
        const std::string password = "restricted-pw";
        rabbitmqctl("add_user " + user + " " + password);
        rabbitmqctl("set_permissions -p / " + user + " '.*' '^(?!forbidden_ex).*' '.*'");
        test::declareQueue(forbidden, forbidden + "_q", "#");
        const std::string url = test::amqpUrl();
        const std::string restrictedUrl =
            "amqp://" + user + ":" + password + "@" + url.substr(url.rfind('@') + 1);

        std::set<std::string> goodIds;
        std::set<std::string> refused;
        {
            std::map<std::string, std::string> properties = extra;
            properties["amqp.url"] = restrictedUrl;
            properties["plugin.routing.config.route.order.secret.exchange"] = forbidden;
            Bus bus("MySQL", properties);
            for (int round = 0; round < rounds; ++round) {
                auto some = bus.write(good, "order.placed");
                goodIds.insert(some.begin(), some.end());
                auto secret = bus.write(1, "order.secret");
                refused.insert(secret.begin(), secret.end());
            }
            relay(bus);
            CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
            // Every good row arrived. Those published on the channel before the broker closed
            // it may arrive twice (their confirms died with the channel, so they went out
            // again): at least once, as always, and an inbox deduplicates them.
            auto received = bus.drainMessageIds();
            CPPUNIT_ASSERT(std::set<std::string>(received.begin(), received.end()) == goodIds);
            auto failed = bus.failedRows();
            CPPUNIT_ASSERT_EQUAL(refused.size(), failed.size());
            for (const auto& row : failed) {
                CPPUNIT_ASSERT(refused.count(row.messageId->toString()) == 1);
                CPPUNIT_ASSERT_MESSAGE(row.errorMessage,
                                       contains(row.errorMessage, "403") ||
                                           contains(row.errorMessage, "ACCESS_REFUSED"));
                CPPUNIT_ASSERT_EQUAL(2, row.attempts);
            }
        }
        test::deleteQueueAndExchange(forbidden + "_q", forbidden);
        rabbitmqctl("delete_user " + user);
    }

public:
    /// Lowers the broker's max_message_size for the channels opened meanwhile; restores it.
    class SmallBrokerMessages {
    public:
        explicit SmallBrokerMessages(std::size_t bytes) {
            rabbitmqctl("eval 'application:set_env(rabbit, max_message_size, " +
                        std::to_string(bytes) + ").'");
        }
        ~SmallBrokerMessages() {
            try {
                rabbitmqctl("eval 'application:set_env(rabbit, max_message_size, 134217728).'");
            } catch (...) {
            }
        }
        SmallBrokerMessages(const SmallBrokerMessages&) = delete;
        SmallBrokerMessages& operator=(const SmallBrokerMessages&) = delete;
    };

    void testRowOverTheBrokersMaxMessageSizeEndsFailed() {
        // The broker answers a message over max_message_size by closing the channel with 406
        // PRECONDITION_FAILED, under every message in flight.
        SmallBrokerMessages small(1024 * 1024);
        Bus bus("MySQL", {{"outbox.max_body_bytes", "4194304"},
                          {"plugin.json.config.max_body_bytes", "4194304"}});
        auto good = bus.write(100, "order.placed");
        std::string bigId;
        {
            auto session = bus.database->session();
            core::Transaction tx(*session, bus.database->dialect());
            Message big("order.placed",
                        R"({"blob":")" + std::string(2 * 1024 * 1024, 'x') + R"("})");
            bigId =
                OutboxWriter(*session, {bus.settings.outbox.table, 4194304}).write(big).toString();
            tx.commit();
        }
        auto after = bus.write(100, "order.placed");
        good.insert(after.begin(), after.end());
        bus.relayAll();
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        auto received = bus.drainMessageIds();
        CPPUNIT_ASSERT(std::set<std::string>(received.begin(), received.end()) == good);
        auto failed = bus.failedRows();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(bigId, failed[0].messageId->toString());
        CPPUNIT_ASSERT_MESSAGE(failed[0].errorMessage,
                               contains(failed[0].errorMessage, "406") ||
                                   contains(failed[0].errorMessage, "PRECONDITION_FAILED"));
    }

    void testRowsTheBrokerRefusesEndFailedAndTheOthersPass() {
        refusedRowsEndFailed(3, 100, {}, [](Bus& bus) { bus.relayAll(); });
    }

    void testRowsTheBrokerRefusesEndFailedWhilePipelined() {
        // As the host runs it: two batches in flight, so a refusal lands while the next batch
        // is being published too.
        refusedRowsEndFailed(8, 120, {{"outbox.batch_size", "50"}}, [](Bus& bus) {
            core::StopToken stop;
            std::thread relayThread([&] {
                core::OutboxRelay relay(*bus.database, bus.plugins,
                                        core::relaySettingsOf(bus.settings), bus.metrics, 0);
                relay.run(stop);
            });
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
            while (bus.outboxRows() > 0 && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            stop.requestStop();
            relayThread.join();
        });
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PoisonOutboxTest);
