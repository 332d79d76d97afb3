// The console's queues and hosts routes, and the hosts' heartbeat rows, against the real
// RabbitMQ management API, MariaDB and SQLite: queue figures and their history, a management
// API that is away (an error member, never a 500), the states of heartbeat rows, and a running
// host that beats, shows a reload's new generation and marks its row stopped.
#include "core/db/HeartbeatStore.h"
#include "core/host/HeartbeatWriter.h"
#include "core/util/Clock.h"
#include "support/ConsoleRoutes.h"
#include "support/HostProcess.h"
#include "support/HttpProbe.h"
#include "support/InProcessHost.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <Poco/JSON/Array.h>

#include <cppunit/extensions/HelperMacros.h>

#include <unistd.h>

using namespace msgbus;
using namespace std::chrono_literals;

class ConsoleFleetTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsoleFleetTest);
    CPPUNIT_TEST(testQueuesComeFromTheManagementApiWithTheirHistory);
    CPPUNIT_TEST(testAManagementApiThatIsAwayIsAnErrorMemberNotAFailure);
    CPPUNIT_TEST(testHostsAreUpLateOrGoneAndAStrayPluginSetShows);
    CPPUNIT_TEST(testARunningHostBeatsAndItsRowFollowsAReload);
    CPPUNIT_TEST(testASecondHostUnderTheSameNameBeatsUnderItsPid);
    CPPUNIT_TEST(testAHeartbeatWithoutItsDatabaseNeitherThrowsNorHangs);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        explicit Bus(const std::string& connector, std::map<std::string, std::string> extra = {})
            : ScratchBus("fleet") {
            extra.emplace("plugin.good.library", "libmsgbus-test-good.so");
            extra.emplace("inbox.consumers", "orders");
            extra.emplace("inbox.consumer.orders.queue", queue);
            open(connector, extra, "order.#");
        }

        test::ConsoleRoutes console(std::chrono::milliseconds sampleEvery = 10s) {
            core::console::OperationsContext context{*database, settings};
            context.queueSampleInterval = sampleEvery;
            return test::ConsoleRoutes(context);
        }

        /// count messages whose timestamp property is ageSeconds old.
        void sendStamped(int count, std::int64_t ageSeconds) {
            std::vector<WireMessage> wires(static_cast<std::size_t>(count));
            for (auto& wire : wires) {
                wire.body = "{}";
                wire.properties.timestamp = core::nowMillis() / 1000 - ageSeconds;
                wire.headers.push_back(
                    {"x-message-id", FieldValue::ofString(Id::generate().toString())});
            }
            send(wires, "order.placed");
        }

        core::HeartbeatStore beats() {
            return core::HeartbeatStore(database->dialect(), settings.host.table);
        }
    };

    static Poco::JSON::Object::Ptr hostIn(const Poco::JSON::Object::Ptr& answer,
                                          const std::string& id) {
        auto hosts = answer->getArray("hosts");
        for (std::size_t i = 0; i < hosts->size(); ++i) {
            auto host = hosts->getObject(static_cast<unsigned>(i));
            if (host->getValue<std::string>("id") == id)
                return host;
        }
        return nullptr;
    }

public:
    void testQueuesComeFromTheManagementApiWithTheirHistory() {
        Bus bus("SQLite", {{"amqp.management.url", test::managementUrl()}});
        bus.sendStamped(3, 120);
        auto console = bus.console(200ms);
        Poco::JSON::Object::Ptr queue;
        // The management API refreshes its figures every second (collect_statistics_interval).
        const bool counted = test::waitUntil(
            [&] {
                auto answer = console.get("/api/queues");
                queue = answer->getArray("queues")->getObject(0);
                return !queue->isNull("ready") && queue->getValue<int>("ready") == 3;
            },
            30s, 200ms);
        CPPUNIT_ASSERT_MESSAGE(queue ? queue->get("ready").toString() : "", counted);
        CPPUNIT_ASSERT_EQUAL(bus.queue, queue->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("orders"), queue->getValue<std::string>("consumer"));
        CPPUNIT_ASSERT_EQUAL(0, queue->getValue<int>("unacked"));
        CPPUNIT_ASSERT_EQUAL(0, queue->getValue<int>("consumers"));
        const auto age = core::nowMillis() - queue->getValue<Poco::Int64>("oldest_ms");
        CPPUNIT_ASSERT_MESSAGE(std::to_string(age), age >= 120000 && age < 300000);

        // Sampled every 200 ms here: points of [ms, ready, unacked] pile up.
        Poco::JSON::Array::Ptr points;
        const bool sampled = test::waitUntil(
            [&] {
                auto history = console.get("/api/queues")->getObject("history");
                points = history->has(bus.queue) ? history->getArray(bus.queue) : nullptr;
                return points && points->size() >= 2 &&
                       points->getArray(static_cast<unsigned>(points->size() - 1))
                               ->getElement<int>(1) == 3;
            },
            30s, 100ms);
        CPPUNIT_ASSERT(sampled);
        CPPUNIT_ASSERT(console.get("/api/queues")->isNull("error"));

        const auto csv = console.call("GET", "/api/queues", {{"format", "csv"}});
        CPPUNIT_ASSERT_MESSAGE(csv.body, csv.body.find(bus.queue + ",orders,true,3,0,0,") !=
                                             std::string::npos);
    }

    void testAManagementApiThatIsAwayIsAnErrorMemberNotAFailure() {
        const auto port = std::to_string(test::freeLocalPort());
        Bus bus("SQLite", {{"amqp.management.url", "http://127.0.0.1:" + port}});
        auto console = bus.console();
        auto answer = console.get("/api/queues");
        const auto error = answer->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(error, error.find("management API unreachable") == 0);
        CPPUNIT_ASSERT_MESSAGE(error, error.find("127.0.0.1:" + port) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(error, error.find("msgbus-test") == std::string::npos);
        auto queue = answer->getArray("queues")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(bus.queue, queue->getValue<std::string>("name"));
        CPPUNIT_ASSERT(queue->isNull("ready"));

        Bus unset("SQLite");
        const auto none = unset.console().get("/api/queues")->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(none, none.find("amqp.management.url is not set") == 0);
    }

    void testHostsAreUpLateOrGoneAndAStrayPluginSetShows() {
        Bus bus("MySQL");
        auto store = bus.beats();
        const std::int64_t now = core::nowMillis();
        auto row = [&](const std::string& id, std::int64_t ago, std::vector<std::string> plugins) {
            core::HostBeat beat;
            beat.id = id;
            beat.instance = id + "-instance";
            beat.hostname = "machine-" + id;
            beat.pid = 100;
            beat.version = "0.1.0";
            beat.pluginGeneration = 1;
            beat.plugins = std::move(plugins);
            beat.consumers = {"orders"};
            beat.beatIntervalMs = 60000; // up: a beat within 2 min, late: within 10
            beat.startedAt = now - 3600000;
            beat.lastBeat = now - ago;
            auto session = bus.database->session();
            CPPUNIT_ASSERT(store.insert(*session, beat));
        };
        row("host-a", 0, {"orders 1.2", "json 1.0.0"});
        row("host-b", 0, {"orders 1.2", "json 1.0.0"});
        row("host-c", 300000, {"orders 1.1", "json 1.0.0"}); // missed the reload, and late
        row("host-d", 1200000, {"orders 1.0"});              // gone
        {
            auto session = bus.database->session();
            store.markStopped(*session, "host-b", "host-b-instance", now);
        }
        auto answer = bus.console().get("/api/hosts");
        auto state = [&](const std::string& id) {
            return hostIn(answer, id)->getValue<std::string>("state");
        };
        CPPUNIT_ASSERT_EQUAL(std::string("up"), state("host-a"));
        CPPUNIT_ASSERT_EQUAL(std::string("gone"), state("host-b"));
        CPPUNIT_ASSERT_EQUAL(std::string("late"), state("host-c"));
        CPPUNIT_ASSERT_EQUAL(std::string("gone"), state("host-d"));
        CPPUNIT_ASSERT(!hostIn(answer, "host-b")->isNull("stopped_at"));
        // host-a and host-c are the live ones; a tie goes to the first set in order, so
        // exactly one of them is flagged.
        const bool a = hostIn(answer, "host-a")->getValue<bool>("plugins_differ");
        const bool c = hostIn(answer, "host-c")->getValue<bool>("plugins_differ");
        CPPUNIT_ASSERT(a != c);
        CPPUNIT_ASSERT(!hostIn(answer, "host-d")->getValue<bool>("plugins_differ"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("orders 1.2"),
            hostIn(answer, "host-a")->getArray("plugins")->getElement<std::string>(0));

        const auto csv = bus.console().call("GET", "/api/hosts", {{"format", "csv"}});
        CPPUNIT_ASSERT_MESSAGE(csv.body,
                               csv.body.find("host-a,0.1.0,1,orders 1.2; json 1.0.0,orders,") !=
                                   std::string::npos);
    }

    void testARunningHostBeatsAndItsRowFollowsAReload() {
        test::InProcessHost running("beat");
        running.start({{"host.heartbeat_ms", "200"},
                       {"host.id", test::uniqueName("host")},
                       {"outbox.workers", "0"}});
        const std::string id = running.settings.host.id;
        core::console::OperationsContext context{running.host->database(), running.settings};
        test::ConsoleRoutes console(context);
        Poco::JSON::Object::Ptr row;
        auto rowWhere = [&](const std::function<bool(const Poco::JSON::Object::Ptr&)>& holds) {
            return test::waitUntil(
                [&] {
                    row = hostIn(console.get("/api/hosts"), id);
                    return row && holds(row);
                },
                30s, 50ms);
        };
        using Row = const Poco::JSON::Object::Ptr&;
        CPPUNIT_ASSERT(rowWhere([](Row r) {
            return r->getValue<int>("plugin_generation") == 1 &&
                   r->getValue<std::string>("state") == "up";
        }));
        CPPUNIT_ASSERT_EQUAL(id, running.host->hostId());
        CPPUNIT_ASSERT_EQUAL(static_cast<Poco::Int64>(::getpid()),
                             row->getValue<Poco::Int64>("pid"));
        CPPUNIT_ASSERT_EQUAL(200, row->getValue<int>("beat_interval_ms"));
        const auto plugins = row->getArray("plugins");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), plugins->size());
        CPPUNIT_ASSERT_MESSAGE(row->get("plugins").toString(),
                               plugins->getElement<std::string>(0).rfind("json ", 0) == 0);
        const auto firstBeat = row->getValue<Poco::Int64>("last_beat");
        CPPUNIT_ASSERT(
            rowWhere([&](Row r) { return r->getValue<Poco::Int64>("last_beat") > firstBeat; }));

        CPPUNIT_ASSERT(running.host->reloadPlugins());
        CPPUNIT_ASSERT(rowWhere([](Row r) { return r->getValue<int>("plugin_generation") == 2; }));

        running.host->stop();
        row = hostIn(console.get("/api/hosts"), id);
        CPPUNIT_ASSERT_EQUAL(std::string("gone"), row->getValue<std::string>("state"));
        CPPUNIT_ASSERT(!row->isNull("stopped_at"));
    }

    void testASecondHostUnderTheSameNameBeatsUnderItsPid() {
        Bus bus("SQLite");
        core::HostSettings host;
        host.id = test::uniqueName("twin");
        // Long enough that the first writer's row stays live (a beat within 10 intervals) on a
        // busy machine; the first beat of each is at once.
        host.heartbeat = 2s;
        auto plugins = [] { return std::pair{std::uint64_t{1}, std::vector<std::string>{"x 1"}}; };
        core::HeartbeatWriter first(bus.settings.db, host, {"orders"}, plugins);
        CPPUNIT_ASSERT(test::waitUntil([&] { return !first.id().empty(); }, 30s, 20ms));
        CPPUNIT_ASSERT_EQUAL(host.id, first.id());
        // This process is alive and beats under that id: a second writer must not take it.
        core::HeartbeatWriter second(bus.settings.db, host, {"orders"}, plugins);
        CPPUNIT_ASSERT(test::waitUntil([&] { return !second.id().empty(); }, 30s, 20ms));
        CPPUNIT_ASSERT_EQUAL(host.id + ":" + std::to_string(::getpid()), second.id());
        auto session = bus.database->session();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), bus.beats().list(*session).size());
    }

    void testAHeartbeatWithoutItsDatabaseNeitherThrowsNorHangs() {
        core::DatabaseSettings away;
        away.connector = "MySQL";
        away.connection = "host=127.0.0.1;port=" + std::to_string(test::freeLocalPort()) +
                          ";db=none;user=none;password=none";
        core::HostSettings host;
        host.heartbeat = 100ms;
        core::HeartbeatWriter writer(away, host, {}, [] {
            return std::pair{std::uint64_t{1}, std::vector<std::string>{}};
        });
        // Beats are tried and skipped; the writer goes on, and stops (the destructor) without a
        // row to mark.
        CPPUNIT_ASSERT(test::waitUntil([&] { return writer.skippedBeats() >= 3; }, 60s, 20ms));
        CPPUNIT_ASSERT(writer.id().empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleFleetTest);
