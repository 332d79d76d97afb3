// failed:retry never runs what must not run, and failed:remove never drops what a live host runs,
// run as the real binary on real MariaDB and SQLite: a row whose body was cut when it was stored,
// a "running" row under a live lease (an expired lease is no host's), a row older than
// dedup.retention (unless --force); --all skips and counts them. cleanup:dedup defaults to
// dedup.retention.
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/failed/FailedStore.h"
#include "core/failed/GuardedChange.h"
#include "core/failed/OutboxEnvelope.h"
#include "core/inbox/DedupStore.h"
#include "core/util/Clock.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <map>

using namespace msgbus;
using namespace Poco::Data::Keywords;

namespace {

constexpr std::int64_t kMinute = 60 * 1000;
constexpr std::int64_t kDay = 24 * 60 * kMinute;

/// A bus on a fresh MariaDB database or SQLite file, with a properties file for the binary.
struct Bus {
    std::string config;
    core::Settings settings;
    std::unique_ptr<core::Database> database;

    explicit Bus(const std::string& connector, std::map<std::string, std::string> extra = {}) {
        const std::string connection =
            connector == "MySQL" ? test::createMysqlDatabase() : test::createSqliteDatabase();
        auto props = test::baseProperties(connector, connection, "ex", extra);
        config = test::writeProperties(test::tempDir("failedguard") + "/msgbus.properties", props);
        settings = core::Settings::load(*test::configFrom(props));
        database = std::make_unique<core::Database>(settings.db);
        core::Schema::apply(*database,
                            {settings.outbox.table, settings.dedupTable, settings.failedTable});
    }

    core::FailedStore store() { return {database->dialect(), settings.failedTable}; }

    /// Stores a row as FailedStore does; inbox rows come from consumer "orders".
    std::int64_t insert(bool outbox, const std::string& queue, std::int64_t createdAt,
                        std::int64_t availableAt, const std::string& body = R"({"n":1})",
                        const std::string& error = "HandlerFailed: boom", int attempts = 2) {
        Message message("order.placed", body);
        message.setId(Id::generate());
        message.setCreatedAt(createdAt);
        core::FailedRecord r;
        r.queueName = queue;
        r.source = outbox ? core::OutboxEnvelope::source : "amqp:orders";
        r.messageId = message.id();
        r.messageName = message.name();
        r.envelopeJson = outbox ? core::OutboxEnvelope::encode(message) : "{}";
        r.body = body;
        r.errorClass = "HandlerFailed";
        r.errorMessage = error;
        r.attempts = attempts;
        r.createdAt = createdAt;
        r.availableAt = availableAt;
        if (queue == "failed")
            r.failedAt = availableAt;
        auto session = database->session();
        return store().insert(*session, r);
    }

    /// A failed row whose body was cut when it was stored, as FailedStore marks it.
    std::int64_t insertCut(bool outbox) {
        const std::int64_t now = core::nowMillis();
        return insert(outbox, "failed", now, now, R"({"n":)",
                      core::bodyCutNote(5, 5000) + "HandlerFailed: boom");
    }

    std::optional<core::FailedRecord> row(std::int64_t id) {
        auto session = database->session();
        return store().find(*session, id);
    }

    int count(const std::string& table) {
        auto session = database->session();
        int n = -1;
        *session << "SELECT COUNT(*) FROM " + table, into(n), now;
        return n;
    }

    std::string run(const std::string& args, int expectedExit) {
        std::string output;
        int rc =
            test::runCommand(test::msgbusBinary() + " " + args + " --config " + config, &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(args + ": " + output, expectedExit, rc);
        return output;
    }
};

void assertContains(const std::string& text, const std::string& part) {
    CPPUNIT_ASSERT_MESSAGE("'" + text + "' lacks '" + part + "'",
                           text.find(part) != std::string::npos);
}

std::string id(std::int64_t row) {
    return std::to_string(row);
}

} // namespace

class FailedRetryGuardTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FailedRetryGuardTest);
    CPPUNIT_TEST(testCutBodyIsRefusedEvenWithForceOnMariaDb);
    CPPUNIT_TEST(testCutBodyIsRefusedEvenWithForceOnSqlite);
    CPPUNIT_TEST(testBodyCutByMariaDbIsRefused);
    CPPUNIT_TEST(testLiveLeaseIsRefusedByRetryAndRemoveOnMariaDb);
    CPPUNIT_TEST(testLiveLeaseIsRefusedByRetryAndRemoveOnSqlite);
    CPPUNIT_TEST(testExpiredLeaseIsRetriedAndRemovedOnMariaDb);
    CPPUNIT_TEST(testExpiredLeaseIsRetriedAndRemovedOnSqlite);
    CPPUNIT_TEST(testOlderThanRetentionNeedsForceOnMariaDb);
    CPPUNIT_TEST(testOlderThanRetentionNeedsForceOnSqlite);
    CPPUNIT_TEST(testAllSkipsAndCountsOnMariaDb);
    CPPUNIT_TEST(testAllSkipsAndCountsOnSqlite);
    CPPUNIT_TEST(testLeaseTakenAfterTheReadWinsOnMariaDb);
    CPPUNIT_TEST(testLeaseTakenAfterTheReadWinsOnSqlite);
    CPPUNIT_TEST(testCleanupDedupDefaultsToTheRetention);
    CPPUNIT_TEST_SUITE_END();

public:
    void testCutBodyIsRefusedEvenWithForceOnMariaDb() { cutBodyIsRefused("MySQL"); }
    void testCutBodyIsRefusedEvenWithForceOnSqlite() { cutBodyIsRefused("SQLite"); }
    void testLiveLeaseIsRefusedByRetryAndRemoveOnMariaDb() { liveLeaseIsRefused("MySQL"); }
    void testLiveLeaseIsRefusedByRetryAndRemoveOnSqlite() { liveLeaseIsRefused("SQLite"); }
    void testExpiredLeaseIsRetriedAndRemovedOnMariaDb() { expiredLeaseIsFree("MySQL"); }
    void testExpiredLeaseIsRetriedAndRemovedOnSqlite() { expiredLeaseIsFree("SQLite"); }
    void testOlderThanRetentionNeedsForceOnMariaDb() { olderThanRetention("MySQL"); }
    void testOlderThanRetentionNeedsForceOnSqlite() { olderThanRetention("SQLite"); }
    void testAllSkipsAndCountsOnMariaDb() { allSkipsAndCounts("MySQL"); }
    void testAllSkipsAndCountsOnSqlite() { allSkipsAndCounts("SQLite"); }
    void testLeaseTakenAfterTheReadWinsOnMariaDb() { leaseAfterReadWins("MySQL"); }
    void testLeaseTakenAfterTheReadWinsOnSqlite() { leaseAfterReadWins("SQLite"); }

    void testBodyCutByMariaDbIsRefused() {
        // A body over MEDIUMBLOB and the default packet: MariaDB's store really cuts it.
        Bus bus("MySQL");
        const std::int64_t now = core::nowMillis();
        const auto row = bus.insert(false, "retry", now, now, std::string(17 * 1024 * 1024, 'x'));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), bus.row(row)->queueName);
        auto out = bus.run("failed:retry " + id(row) + " --force", 1);
        assertContains(out, "row " + id(row) + " refused: its body was cut when it was stored");
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), bus.row(row)->queueName);
    }

    void testCleanupDedupDefaultsToTheRetention() {
        Bus bus("SQLite", {{"dedup.retention", "3d"}});
        core::DedupStore dedup(bus.database->dialect(), bus.settings.dedupTable);
        auto session = bus.database->session();
        const std::int64_t now = core::nowMillis();
        for (int i = 0; i < 4; ++i)
            dedup.tryInsert(*session, Id::generate(), "c", "order.placed", now - 4 * kDay);
        for (int i = 0; i < 3; ++i)
            dedup.tryInsert(*session, Id::generate(), "c", "order.placed", now - 2 * kDay);
        auto out = bus.run("cleanup:dedup", 0);
        assertContains(out, "removed 4 deduplication row(s) older than 3d (dedup.retention)");
        CPPUNIT_ASSERT_EQUAL(3, bus.count(bus.settings.dedupTable));
    }

private:
    void cutBodyIsRefused(const std::string& connector) {
        Bus bus(connector);
        const auto inbox = bus.insertCut(false);
        const auto outbox = bus.insertCut(true);
        for (const std::string force : {"", " --force"}) {
            auto out = bus.run("failed:retry " + id(inbox) + " " + id(outbox) + force, 1);
            assertContains(out,
                           "row " + id(inbox) + " refused: its body was cut when it was stored");
            assertContains(out, "row " + id(outbox) + " refused: its body was cut");
            assertContains(out, "retrying 0 row(s): 0 back into the outbox, 0 due now for their "
                                "consumer; refused 2: 2 cut bodies, 0 leased by a running host, "
                                "0 older than dedup.retention (use --force)");
        }
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), bus.row(inbox)->queueName);
        CPPUNIT_ASSERT(bus.row(outbox));
        CPPUNIT_ASSERT_EQUAL(0, bus.count(bus.settings.outbox.table));
        // An operator may still drop it.
        assertContains(bus.run("failed:remove " + id(inbox), 0), "removed 1 row(s)");
    }

    void liveLeaseIsRefused(const std::string& connector) {
        Bus bus(connector);
        const std::int64_t now = core::nowMillis();
        const std::int64_t until = now + 10 * kMinute;
        const auto row = bus.insert(false, "running", now, until);
        auto out = bus.run("failed:retry " + id(row) + " --force", 1);
        assertContains(out, "row " + id(row) + " refused: a running host's retry worker holds it");
        assertContains(out, "refused 1: 0 cut bodies, 1 leased by a running host");
        out = bus.run("failed:remove " + id(row), 1);
        assertContains(out, "row " + id(row) + " refused: a running host's retry worker holds it");
        assertContains(out, "removed 0 row(s); refused 1: 1 leased by a running host");
        auto after = bus.row(row);
        CPPUNIT_ASSERT(after);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), after->queueName);
        CPPUNIT_ASSERT_EQUAL(until, after->availableAt);
        CPPUNIT_ASSERT_EQUAL(2, after->attempts);
    }

    void expiredLeaseIsFree(const std::string& connector) {
        Bus bus(connector);
        const std::int64_t now = core::nowMillis();
        // Its host died a minute ago with it leased: the lease ran out, no host holds it.
        const auto retried =
            bus.insert(false, "running", now - kMinute, now - 1000, "{}", "HandlerFailed: boom", 9);
        const auto removed = bus.insert(false, "running", now - kMinute, now - 1000);
        assertContains(bus.run("failed:retry " + id(retried), 0),
                       "retrying 1 row(s): 0 back into the outbox, 1 due now for their consumer\n");
        auto after = bus.row(retried);
        CPPUNIT_ASSERT_EQUAL(std::string("retry"), after->queueName);
        CPPUNIT_ASSERT(after->availableAt >= now);
        CPPUNIT_ASSERT(!after->failedAt);
        CPPUNIT_ASSERT_EQUAL(bus.settings.retry.maxRetries, after->attempts); // one more left
        assertContains(bus.run("failed:remove " + id(removed), 0), "removed 1 row(s)\n");
        CPPUNIT_ASSERT(!bus.row(removed));
    }

    void olderThanRetention(const std::string& connector) {
        Bus bus(connector);
        const std::int64_t old = core::nowMillis() - 8 * kDay; // dedup.retention: 7d
        const auto inbox = bus.insert(false, "failed", old, old);
        const auto outbox = bus.insert(true, "failed", old, old);
        auto out = bus.run("failed:retry " + id(inbox) + " " + id(outbox), 1);
        assertContains(out, "row " + id(inbox) + " refused: created ");
        assertContains(out, "older than dedup.retention (7d): its deduplication row may have "
                            "been cleaned");
        assertContains(out, "row " + id(outbox) + " refused: created ");
        assertContains(out, "refused 2: 0 cut bodies, 0 leased by a running host, 2 older than "
                            "dedup.retention (use --force)");
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), bus.row(inbox)->queueName);
        CPPUNIT_ASSERT_EQUAL(0, bus.count(bus.settings.outbox.table));

        out = bus.run("failed:retry " + id(inbox) + " " + id(outbox) + " --force", 0);
        assertContains(out, "retrying 2 row(s): 1 back into the outbox, 1 due now for their "
                            "consumer\n");
        CPPUNIT_ASSERT_EQUAL(std::string("retry"), bus.row(inbox)->queueName);
        CPPUNIT_ASSERT(!bus.row(outbox));
        CPPUNIT_ASSERT_EQUAL(1, bus.count(bus.settings.outbox.table));
    }

    void allSkipsAndCounts(const std::string& connector) {
        Bus bus(connector);
        const std::int64_t now = core::nowMillis();
        bus.insert(false, "failed", now, now);
        bus.insert(true, "failed", now, now);
        const auto cut = bus.insertCut(false);
        const auto leased = bus.insert(false, "running", now, now + 10 * kMinute);
        const auto old = bus.insert(false, "failed", now - 8 * kDay, now - 8 * kDay);

        auto out = bus.run("failed:retry --all", 0); // skipped rows do not fail --all
        assertContains(out, "row " + id(cut) + " refused: its body was cut");
        assertContains(out, "row " + id(leased) + " refused: a running host's");
        assertContains(out, "row " + id(old) + " refused: created ");
        assertContains(out, "retrying 2 row(s): 1 back into the outbox, 1 due now for their "
                            "consumer; refused 3: 1 cut bodies, 1 leased by a running host, 1 "
                            "older than dedup.retention (use --force)");
        CPPUNIT_ASSERT_EQUAL(1, bus.count(bus.settings.outbox.table));

        out = bus.run("failed:retry --all --force", 0);
        assertContains(out, "retrying 2 row(s): 0 back into the outbox, 2 due now for their "
                            "consumer; refused 2: 1 cut bodies, 1 leased by a running host, 0 "
                            "older than dedup.retention (use --force)");

        out = bus.run("failed:remove --all --force", 0);
        assertContains(out, "row " + id(leased) + " refused: a running host's");
        assertContains(out, "removed 3 row(s); refused 1: 1 leased by a running host\n");
        CPPUNIT_ASSERT_EQUAL(1, bus.count(bus.settings.failedTable));
        CPPUNIT_ASSERT(bus.row(leased));
    }

    void leaseAfterReadWins(const std::string& connector) {
        // The command read the row while it was "retry"; a retry worker of another host leased it
        // before the command's write: the write must change nothing.
        Bus bus(connector);
        const std::int64_t now = core::nowMillis();
        const auto row = bus.insert(false, "retry", now, now);
        const auto read = bus.row(row);
        auto session = bus.database->session();
        auto store = bus.store();
        CPPUNIT_ASSERT(
            store.lease(*session, row, "retry", read->attempts, now + 10 * kMinute, "host-b:4242"));
        core::GuardedChange change(bus.settings.failedTable, core::nowMillis());
        auto refusal = change.retryNow(*session, row, 3, std::nullopt);
        CPPUNIT_ASSERT(refusal.reason == core::Refusal::Leased);
        CPPUNIT_ASSERT_EQUAL(now + 10 * kMinute, refusal.leasedUntil);
        CPPUNIT_ASSERT_EQUAL(std::string("host-b:4242"), refusal.leasedBy);
        CPPUNIT_ASSERT(change.remove(*session, row).reason == core::Refusal::Leased);
        auto after = bus.row(row);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), after->queueName);
        CPPUNIT_ASSERT_EQUAL(read->attempts + 1, after->attempts);
        CPPUNIT_ASSERT_EQUAL(now + 10 * kMinute, after->availableAt);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FailedRetryGuardTest);
