// The commit doorbell with a real host, MariaDB, SQLite and RabbitMQ: a row committed and rung
// is published at once, although the relay polls only once a minute; garbage on the doorbell
// wakes nothing; a ring with nobody listening costs the application nothing.
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/db/Transaction.h"
#include "core/host/Host.h"
#include "support/HostProcess.h"
#include "support/InProcessHost.h"
#include "support/LoopbackUdp.h"
#include "support/TestEnv.h"

#include <msgbus/Doorbell.h>
#include <msgbus/OutboxTransaction.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Data/Session.h>

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace msgbus;
using namespace std::chrono_literals;
using namespace Poco::Data::Keywords;

using test::freeUdpPort;

namespace {

/// The relays poll this rarely: whatever is published well before it was rung.
const std::string kPollMillis = "60000";
/// How long a rung row may take under load: generous, and far below the poll interval.
constexpr auto kPatience = 20s;

std::map<std::string, std::string> hostProperties(const std::string& doorbell) {
    // No consumer (so no retry worker), no HTTP endpoint: the relay alone uses the database,
    // and nothing but the doorbell can wake it.
    return {{"outbox.workers", "1"},
            {"outbox.poll_interval_ms", kPollMillis},
            {"outbox.doorbell", doorbell},
            {"http.port", "0"}};
}

/// Waits until the relay has polled once: from then on, a row committed now is published by
/// a wake-up or by the next poll, a minute away.
void waitForTheFirstPoll(core::Host& host) {
    CPPUNIT_ASSERT_MESSAGE(
        "the relay never polled",
        test::waitUntil([&] { return host.metrics().databaseOkAt.load() != 0; }, kPatience, 10ms));
}

std::vector<Message> orders(int count) {
    std::vector<Message> out;
    for (int i = 0; i < count; ++i)
        out.emplace_back("order.placed", R"({"n":)" + std::to_string(i) + "}");
    return out;
}

/// An outbox table in a fresh MariaDB database, and a session on it: an application's.
struct Outbox {
    core::Database database{core::DatabaseSettings{"MySQL", test::createMysqlDatabase(), 2}};
    std::string table = test::uniqueName("outbox");
    core::PooledSession session;

    Outbox() : session(prepare()) {}

    core::PooledSession prepare() {
        core::Schema::apply(database,
                            {table, test::uniqueName("dedup"), test::uniqueName("failed")});
        return database.session();
    }

    int rows() {
        Poco::Int64 count = 0;
        *session << "SELECT COUNT(*) FROM " + table, into(count), now;
        return static_cast<int>(count);
    }
};

bool confirmedSoon(core::Host& host, std::uint64_t rows) {
    return test::waitUntil([&] { return host.metrics().confirmed.load() == rows; }, kPatience,
                           10ms);
}

} // namespace

class DoorbellTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DoorbellTest);
    CPPUNIT_TEST(testARungCommitIsPublishedLongBeforeThePollOnMariaDb);
    CPPUNIT_TEST(testANotifiedCommitIsPublishedLongBeforeThePollOnSqlite);
    CPPUNIT_TEST(testGarbageWakesNothingAndARingStillDoes);
    CPPUNIT_TEST(testACommitWithNobodyListeningCommits);
    CPPUNIT_TEST(testARollbackRingsNothingAndACommitRingsOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    void testARungCommitIsPublishedLongBeforeThePollOnMariaDb() {
        // The default kind of address, the loopback broadcast, on a port of this test's own.
        const std::string address = "udp://127.255.255.255:" + std::to_string(freeUdpPort());
        test::InProcessHost world("doorbell");
        world.start(hostProperties(address));
        core::Host& host = *world.host;
        waitForTheFirstPoll(host);

        auto doorbell = std::make_shared<const Doorbell>(address);
        auto session = host.database().session();
        OutboxTransaction tx(*session, {world.settings.outbox.table}, doorbell);
        auto events = orders(5);
        tx.write(events);
        tx.commit();

        CPPUNIT_ASSERT_MESSAGE("the rung rows waited for the poll", confirmedSoon(host, 5));
        CPPUNIT_ASSERT(host.metrics().doorbellRings.load() >= 1);
        CPPUNIT_ASSERT(test::waitUntil([&] { return test::queueDepth(world.queue) == 5; }, 10s));
    }

    void testANotifiedCommitIsPublishedLongBeforeThePollOnSqlite() {
        test::InProcessHost world("doorbell_sqlite");
        const std::string address = "unix:" + world.dir + "/doorbell.sock";
        world.start(hostProperties(address), {}, "SQLite");
        core::Host& host = *world.host;
        waitForTheFirstPoll(host);

        Doorbell doorbell(address);
        auto session = host.database().session();
        OutboxWriter writer(*session, {world.settings.outbox.table});
        {
            core::Transaction tx(*session, core::Dialect::SQLite);
            auto events = orders(3);
            writer.write(events);
            tx.commit();
        }
        writer.notify(doorbell);

        CPPUNIT_ASSERT_MESSAGE("the rung rows waited for the poll", confirmedSoon(host, 3));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), host.metrics().doorbellRings.load());
    }

    void testGarbageWakesNothingAndARingStillDoes() {
        const std::string address = "udp://127.0.0.1:" + std::to_string(freeUdpPort());
        test::InProcessHost world("doorbell_garbage");
        world.start(hostProperties(address));
        core::Host& host = *world.host;
        waitForTheFirstPoll(host);

        // A row committed without a ring waits for the poll...
        auto session = host.database().session();
        OutboxWriter writer(*session, {world.settings.outbox.table});
        {
            core::Transaction tx(*session, core::Dialect::MySQL);
            auto events = orders(1);
            writer.write(events);
            tx.commit();
        }
        // ...and datagrams that are no ring for this host's outbox do not wake the relay.
        const auto to = msgbus::DoorbellAddress::parse(address, "test");
        const std::vector<std::string> garbage{"x", std::string(3000, 'g'),
                                               "msgbus-ring 1 some_other_outbox", ""};
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        for (const auto& datagram : garbage)
            ::sendto(fd, datagram.data(), datagram.size(), 0,
                     reinterpret_cast<const sockaddr*>(&to.socket), to.length);
        ::close(fd);
        CPPUNIT_ASSERT(
            test::waitUntil([&] { return host.metrics().doorbellIgnored.load() == garbage.size(); },
                            kPatience, 10ms));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), host.metrics().doorbellWakeups.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), host.metrics().confirmed.load());

        writer.notify(Doorbell(address));
        CPPUNIT_ASSERT_MESSAGE("the ring after the garbage was not heard", confirmedSoon(host, 1));
    }

    void testACommitWithNobodyListeningCommits() {
        Outbox outbox;
        auto nobody =
            std::make_shared<const Doorbell>("udp://127.0.0.1:" + std::to_string(freeUdpPort()));
        auto unixNobody =
            std::make_shared<const Doorbell>("unix:" + test::tempDir("doorbell") + "/nobody.sock");
        for (int i = 0; i < 20; ++i) {
            OutboxTransaction tx(*outbox.session, {outbox.table}, i % 2 ? nobody : unixNobody);
            auto events = orders(1);
            tx.write(events);
            tx.commit();
        }
        CPPUNIT_ASSERT_EQUAL(20, outbox.rows());
    }

    void testARollbackRingsNothingAndACommitRingsOnce() {
        Outbox outbox;
        const test::LoopbackUdpSocket listening;
        const int listener = listening.fd();
        auto doorbell =
            std::make_shared<const Doorbell>("udp://127.0.0.1:" + std::to_string(listening.port()));
        {
            OutboxTransaction tx(*outbox.session, {outbox.table}, doorbell);
            auto events = orders(1);
            tx.write(events);
            tx.rollback();
        }
        {
            OutboxTransaction tx(*outbox.session, {outbox.table}, doorbell);
            auto events = orders(1);
            tx.write(events);
        } // destroyed uncommitted: rolled back
        {
            OutboxTransaction tx(*outbox.session, {outbox.table}, doorbell);
            auto events = orders(2);
            tx.write(events);
            tx.commit();
        }
        CPPUNIT_ASSERT_EQUAL(2, outbox.rows());
        // Datagrams on loopback keep their order: had a rollback rung, its ring would come
        // first and a second one would follow.
        timeval wait{10, 0};
        ::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
        char buffer[256];
        CPPUNIT_ASSERT(::recv(listener, buffer, sizeof buffer, 0) > 0);
        CPPUNIT_ASSERT(::recv(listener, buffer, sizeof buffer, MSG_DONTWAIT) < 0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DoorbellTest);
