// The retry worker against the real MariaDB when a run commits nothing: a handler whose statement
// dies with its connection (longer than db.io_timeout_ms) counts its attempt and its neighbours
// run; a stop waits for the row in hand only; the failed table's database away (a relay of its
// own cut, the shared server untouched) counts nothing, logs once and is picked up when it is
// back.
#include "core/inbox/RetryWorker.h"
#include "core/failed/FailedStore.h"
#include "core/failed/StoredEnvelope.h"
#include "core/util/Clock.h"
#include "core/util/StopToken.h"
#include "support/HostProcess.h"
#include "support/ScratchBus.h"
#include "support/TcpRelay.h"
#include "support/TestEnv.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>

#include <cppunit/extensions/HelperMacros.h>

#include <mutex>
#include <regex>
#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;

namespace {

/// The lines a logger gets, from any thread.
class CapturingChannel : public Poco::Channel {
public:
    void log(const Poco::Message& message) override {
        std::lock_guard lock(_mutex);
        _lines.push_back(message);
    }

    /// The lines at priority, whose text contains part.
    int count(Poco::Message::Priority priority, const std::string& part = "") {
        std::lock_guard lock(_mutex);
        int n = 0;
        for (const auto& line : _lines)
            n += line.getPriority() == priority && line.getText().find(part) != std::string::npos;
        return n;
    }

private:
    std::mutex _mutex;
    std::vector<Poco::Message> _lines;
};

/// One logger's lines while it lives; the logger's channel and level are put back after.
class CapturedLog {
public:
    explicit CapturedLog(const std::string& name)
        : _logger(Poco::Logger::get(name)), _channel(_logger.getChannel()),
          _level(_logger.getLevel()) {
        _logger.setChannel(_capture);
        _logger.setLevel(Poco::Message::PRIO_INFORMATION);
    }
    ~CapturedLog() {
        _logger.setChannel(_channel);
        _logger.setLevel(_level);
    }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;

    int count(Poco::Message::Priority priority, const std::string& part = "") {
        return _capture->count(priority, part);
    }

private:
    Poco::Logger& _logger;
    Poco::Channel::Ptr _channel;
    int _level;
    Poco::AutoPtr<CapturingChannel> _capture = new CapturingChannel;
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

class RetryWorkerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RetryWorkerTest);
    CPPUNIT_TEST(testHandlerStatementOutlastingTheIoTimeoutCountsItsAttemptsAndNeighboursRun);
    CPPUNIT_TEST(testStopWaitsForTheRowInHandOnly);
    CPPUNIT_TEST(testDatabaseAwayCountsNothingLogsOnceAndIsPickedUpWhenBack);
    CPPUNIT_TEST(testDatabaseLostUnderARunGivesItBackUnrunOnceItIsBack);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        explicit Bus(const std::map<std::string, std::string>& extra = {}) : ScratchBus("rworker") {
            std::map<std::string, std::string> properties{
                {"plugin.poison.library", "libmsgbus-test-poison.so"},
                {"inbox.consumers", "poison"},
                {"inbox.consumer.poison.queue", queue},
                {"inbox.consumer.poison.plugins", "poison"},
                {"retry.delay_ms", "50"},
                {"retry.multiplier", "1"}};
            for (const auto& [key, value] : extra)
                properties[key] = value;
            open("MySQL", properties, "#", [](Poco::Data::Session& session) {
                session << "CREATE TABLE poison_effects (k VARCHAR(64) PRIMARY KEY, rerun "
                           "INT NOT NULL)",
                    now;
            });
        }

        /// A retry row of message key (the poison handler's mode), due ageMs ago, after
        /// attempts attempts.
        std::int64_t retryRow(const std::string& key, const std::string& mode, int attempts = 1,
                              std::int64_t ageMs = 1000) {
            Message m("test.poison", R"({"key":")" + key + R"(","mode":")" + mode + R"("})");
            m.setId(Id::generate());
            const WireMessage wire = plugins.current()->serializer->encode(m);
            core::FailedRecord row;
            row.queueName = "retry";
            row.source = "amqp:poison";
            row.messageName = "test.poison";
            row.errorClass = "HandlerFailed";
            row.errorMessage = "first failure";
            row.attempts = attempts;
            row.createdAt = row.availableAt = core::nowMillis() - ageMs;
            row.envelopeJson = core::envelopeToJson(wire);
            row.body = wire.body;
            auto session = database->session();
            return store().insert(*session, row);
        }

        core::FailedStore store() { return {database->dialect(), settings.failedTable}; }

        std::optional<core::FailedRecord> row(std::int64_t id) {
            auto session = database->session();
            return store().find(*session, id);
        }

        int effects(const std::string& like = "%") {
            return count("SELECT COUNT(*) FROM poison_effects WHERE k LIKE '" + like + "'");
        }

        int rows(const std::string& queueName) {
            return count("SELECT COUNT(*) FROM " + settings.failedTable + " WHERE queue_name = '" +
                         queueName + "'");
        }
    };

    /// RetryWorker::run() on a thread of its own, stopped and joined when destroyed.
    struct Running {
        core::StopToken stop;
        std::thread thread;
        explicit Running(core::RetryWorker& worker) : thread([&] { worker.run(stop); }) {}
        ~Running() { halt(); }
        void halt() {
            stop.requestStop();
            if (thread.joinable())
                thread.join();
        }
    };

public:
    void testHandlerStatementOutlastingTheIoTimeoutCountsItsAttemptsAndNeighboursRun() {
        // SELECT SLEEP(3) under a 1 s timeout loses its connection on every attempt. Given back,
        // it stayed "retry" for ever at one timeout per cycle, the rows claimed after it unrun.
        Bus bus({{"db.io_timeout_ms", "1000"}, {"retry.max_retries", "2"}});
        const auto slow = bus.retryRow("slow", "slow", 1, 3000); // first in line
        // Fails at once, then loses the connection when run again with savepoints.
        const auto slowRerun = bus.retryRow("slow-rerun", "slow-rerun", 1, 2000);
        for (int i = 0; i < 3; ++i)
            bus.retryRow("n-" + std::to_string(i), "ok");
        core::RetryWorker worker(*bus.database, bus.plugins,
                                 core::retryWorkerSettingsOf(bus.settings), bus.metrics, {});
        int attempted = -1;
        std::string thrown;
        try {
            attempted = worker.retryDue();
        } catch (const std::exception& e) {
            thrown = e.what();
        }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(thrown, 5, attempted);
        CPPUNIT_ASSERT_EQUAL(3, bus.effects("n-%")); // the neighbours of the same cycle
        for (auto id : {slow, slowRerun}) {
            auto first = bus.row(id);
            CPPUNIT_ASSERT(first);
            CPPUNIT_ASSERT_EQUAL(std::string("retry"), first->queueName);
            CPPUNIT_ASSERT_EQUAL(2, first->attempts);
        }

        const auto start = std::chrono::steady_clock::now();
        test::waitUntil(
            [&] {
                worker.retryDue();
                return bus.rows("failed") == 2;
            },
            std::chrono::seconds(30), std::chrono::milliseconds(60));
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
        for (auto id : {slow, slowRerun}) {
            auto last = bus.row(id);
            CPPUNIT_ASSERT(last);
            CPPUNIT_ASSERT_EQUAL(std::string("failed"), last->queueName);
            CPPUNIT_ASSERT_EQUAL(3, last->attempts); // the first delivery + retry.max_retries
            CPPUNIT_ASSERT(last->failedAt.has_value());
            CPPUNIT_ASSERT_EQUAL(std::string("HandlerFailed"), last->errorClass);
            CPPUNIT_ASSERT_MESSAGE(last->errorMessage,
                                   contains(last->errorMessage, "Lost connection") ||
                                       contains(last->errorMessage, "gone away"));
        }
        CPPUNIT_ASSERT_EQUAL(0, bus.effects("slow%"));
        CPPUNIT_ASSERT_EQUAL(0, bus.rows("retry") + bus.rows("running"));
    }

    void testStopWaitsForTheRowInHandOnly() {
        Bus bus;
        for (int i = 0; i < 12; ++i)
            bus.retryRow("p-" + std::to_string(i), "pause"); // 0.3 s each
        core::RetryWorker worker(*bus.database, bus.plugins,
                                 core::retryWorkerSettingsOf(bus.settings), bus.metrics, {});
        Running running(worker);
        CPPUNIT_ASSERT(test::waitUntil([&] { return bus.effects() >= 1; }, std::chrono::seconds(20),
                                       std::chrono::milliseconds(20)));
        const auto stopAt = std::chrono::steady_clock::now();
        running.halt();
        const auto stopTook = std::chrono::steady_clock::now() - stopAt;
        CPPUNIT_ASSERT_MESSAGE(std::to_string(bus.effects()) + " rows ran", bus.effects() <= 2);
        CPPUNIT_ASSERT(stopTook < std::chrono::seconds(2));
        // The rest are due still, unleased, their attempts as they were.
        CPPUNIT_ASSERT_EQUAL(12 - bus.effects(), bus.rows("retry"));
        CPPUNIT_ASSERT_EQUAL(0, bus.rows("running"));
        CPPUNIT_ASSERT_EQUAL(
            12 - bus.effects(),
            bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable + " WHERE attempts = 1"));
    }

    void testDatabaseAwayCountsNothingLogsOnceAndIsPickedUpWhenBack() {
        Bus bus;
        const auto ids =
            std::vector<std::int64_t>{bus.retryRow("a", "pause"), bus.retryRow("b", "pause", 2)};
        test::TcpRelay relay = test::relayToMariaDb();
        auto settings = bus.settings;
        settings.db.connection = relay.through(settings.db.connection);
        settings.db.ioTimeout = std::chrono::milliseconds(1000);
        core::Database away(settings.db);
        relay.cut();
        CapturedLog log("msgbus.retry");
        core::RetryWorker worker(away, bus.plugins, core::retryWorkerSettingsOf(settings),
                                 bus.metrics, {});
        Running running(worker);
        std::this_thread::sleep_for(std::chrono::seconds(4)); // cycles at 0.2, 0.4, 0.8, 1.6 s
        CPPUNIT_ASSERT_EQUAL(1, log.count(Poco::Message::PRIO_WARNING));
        CPPUNIT_ASSERT_EQUAL(0, log.count(Poco::Message::PRIO_ERROR));
        CPPUNIT_ASSERT_EQUAL(2, bus.rows("retry"));
        CPPUNIT_ASSERT_EQUAL(1, bus.row(ids[0])->attempts);
        CPPUNIT_ASSERT_EQUAL(2, bus.row(ids[1])->attempts);

        relay.restore();
        CPPUNIT_ASSERT(
            test::waitUntil([&] { return bus.effects() == 2; }, std::chrono::seconds(20)));
        running.halt();
        // The attempts the rows were due for, not one more.
        CPPUNIT_ASSERT_EQUAL(1, bus.effects("a@2"));
        CPPUNIT_ASSERT_EQUAL(1, bus.effects("b@3"));
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable));
        CPPUNIT_ASSERT_EQUAL(1, log.count(Poco::Message::PRIO_WARNING));
        CPPUNIT_ASSERT_EQUAL(1, log.count(Poco::Message::PRIO_INFORMATION, "working again"));
    }

    void testDatabaseLostUnderARunGivesItBackUnrunOnceItIsBack() {
        // The connection goes while the handler runs (writing nothing): the commit fails, the
        // give-back fails too. Owed, it is made before the next claim: the attempt is not
        // counted, the row is not left "running" for its lease to count it.
        Bus bus(std::map<std::string, std::string>{{"retry.lease_ms", "600000"}});
        const auto id = bus.retryRow("napper", "nap"); // 0.5 s in its handler
        test::TcpRelay relay = test::relayToMariaDb();
        auto settings = bus.settings;
        settings.db.connection = relay.through(settings.db.connection);
        settings.db.ioTimeout = std::chrono::milliseconds(1000);
        core::Database away(settings.db);
        core::RetryWorker worker(away, bus.plugins, core::retryWorkerSettingsOf(settings),
                                 bus.metrics, {});
        std::string thrown;
        std::thread cycle([&] {
            try {
                worker.retryDue();
            } catch (const std::exception& e) {
                thrown = e.what();
            }
        });
        const bool leased =
            test::waitUntil([&] { return bus.rows("running") == 1; }, std::chrono::seconds(10),
                            std::chrono::milliseconds(10));
        // The lease is committed once another session sees it, but its reply may still be on
        // its way to the worker: a cut then fails the lease itself, which nothing can give back
        // (its outcome is unknown). The handler naps 0.5 s: cut inside the nap.
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        relay.cut();
        cycle.join();
        CPPUNIT_ASSERT(leased);
        CPPUNIT_ASSERT_MESSAGE("the cycle did not stop", !thrown.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("running"), bus.row(id)->queueName);
        CPPUNIT_ASSERT_EQUAL(2, bus.row(id)->attempts);

        relay.restore();
        core::StopToken stopped;
        stopped.requestStop(); // the owed write, then no row
        CPPUNIT_ASSERT_EQUAL(0, worker.retryDue(stopped));
        CPPUNIT_ASSERT_EQUAL(std::string("retry"), bus.row(id)->queueName);
        CPPUNIT_ASSERT_EQUAL(1, bus.row(id)->attempts);
        CPPUNIT_ASSERT(bus.row(id)->availableAt <= core::nowMillis());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RetryWorkerTest);
