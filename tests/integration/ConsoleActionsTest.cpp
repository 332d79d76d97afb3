// The console's actions against real MariaDB and SQLite: each guard of failed:retry and
// failed:remove with its reason per refused row, a group action's count confirmation and cap,
// a retry to another consumer only where it handles the name, an outbox row back into the
// outbox, the skip of a parked key's head, and the audit trail written by the console and by
// the CLI's failed:* commands.
#include "core/db/Schema.h"
#include "core/failed/GuardedChange.h"
#include "core/failed/OutboxEnvelope.h"
#include "core/inbox/SequenceStore.h"
#include "core/util/Clock.h"
#include "support/ConsoleFixture.h"
#include "support/TestEnv.h"

#include <Poco/JSON/Array.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using test::ConsoleFixture;
using test::numberOf;

namespace {

constexpr std::int64_t kDay = 24 * 3600 * 1000LL;

void assertContains(const std::string& text, const std::string& part) {
    CPPUNIT_ASSERT_MESSAGE("'" + text + "' lacks '" + part + "'",
                           text.find(part) != std::string::npos);
}

/// id → reason of an action's refused rows.
std::map<std::int64_t, std::string> refusedOf(const test::ConsoleReply& reply) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(reply.body, 200, reply.status);
    std::map<std::int64_t, std::string> out;
    auto refused = reply.json->getArray("refused");
    for (unsigned i = 0; i < refused->size(); ++i)
        out[refused->getObject(i)->getValue<Poco::Int64>("id")] =
            refused->getObject(i)->getValue<std::string>("reason");
    return out;
}

std::string ids(std::initializer_list<std::int64_t> list) {
    std::string out;
    for (auto id : list)
        out += (out.empty() ? "" : ",") + std::to_string(id);
    return "[" + out + "]";
}

/// A normal row, a cut body, a live lease and one older than dedup.retention, retried and
/// removed by id: each refusal names its reason; the normal row is due again.
void checkGuards(ConsoleFixture& f) {
    const std::int64_t now = core::nowMillis();
    const auto normal = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom");
    const auto cut = f.insertFailed("orders", "order.placed", "HandlerFailed",
                                    core::bodyCutNote(5, 5000) + "boom");
    const auto leased = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom", now,
                                       "running", now + 10 * 60000);
    const auto old =
        f.insertFailed("orders", "order.placed", "HandlerFailed", "boom", now - 30 * kDay);
    auto reply =
        f.act(R"({"action":"retry","ids":)" + ids({normal, cut, leased, old, 999999}) + "}");
    auto refused = refusedOf(reply);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, numberOf(reply.json, "done"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, refused.size());
    assertContains(refused[cut], "the body was cut when it was stored: it cannot be retried");
    assertContains(refused[leased], "a running host's retry worker holds it");
    assertContains(refused[old], "before the deduplication window (dedup.retention = 7d)");
    assertContains(refused[999999], "no longer in the failed table");
    CPPUNIT_ASSERT_EQUAL(1,
                         f.count("SELECT COUNT(*) FROM " + f.settings.failedTable +
                                 " WHERE queue_name = 'retry' AND id = " + std::to_string(normal)));
    // A removal is guarded by the lease alone.
    reply = f.act(R"({"action":"remove","ids":)" + ids({cut, leased, old}) + "}");
    refused = refusedOf(reply);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, numberOf(reply.json, "done"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, refused.size());
    assertContains(refused[leased], "a running host's retry worker holds it");
    // Both actions are in the audit trail, newest first.
    auto actions = f.get("/api/actions").json->getArray("actions");
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, actions->size());
    auto last = actions->getObject(0);
    CPPUNIT_ASSERT_EQUAL(std::string("remove"), last->getValue<std::string>("action"));
    CPPUNIT_ASSERT_EQUAL(std::string("console"), last->getValue<std::string>("origin"));
    CPPUNIT_ASSERT_EQUAL(std::string("console"), last->getValue<std::string>("who"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, numberOf(last, "count"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, numberOf(last, "done"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, numberOf(last, "refused"));
    assertContains(last->getValue<std::string>("filter"), "\"ids\"");
    CPPUNIT_ASSERT_EQUAL(std::int64_t{4}, numberOf(actions->getObject(1), "refused"));
    auto csv = f.get("/api/actions?format=csv");
    assertContains(csv.headers["Content-Type"], "text/csv");
    assertContains(csv.body, "id,at,who,action,origin,filter,count,done,refused\r\n");
    assertContains(csv.body, ",console,remove,console,");
}

} // namespace

class ConsoleActionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsoleActionsTest);
    CPPUNIT_TEST(testEachGuardRefusesWithItsReasonOnMariaDb);
    CPPUNIT_TEST(testEachGuardRefusesWithItsReasonOnSqlite);
    CPPUNIT_TEST(testGroupActionNeedsTheCurrentCountAndStaysUnderTheCap);
    CPPUNIT_TEST(testRetryToAnotherConsumerOnlyWhereItHandlesTheName);
    CPPUNIT_TEST(testOutboxRowGoesBackIntoTheOutbox);
    CPPUNIT_TEST(testCliFailedCommandsWriteTheAuditTrail);
    CPPUNIT_TEST(testSkipReleasesTheKeyOfAParkedHeadOnlyOnMariaDb);
    CPPUNIT_TEST(testSkipReleasesTheKeyOfAParkedHeadOnlyOnSqlite);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEachGuardRefusesWithItsReasonOnMariaDb() {
        ConsoleFixture f("MySQL");
        checkGuards(f);
    }

    void testEachGuardRefusesWithItsReasonOnSqlite() {
        ConsoleFixture f("SQLite");
        checkGuards(f);
    }

    void testGroupActionNeedsTheCurrentCountAndStaysUnderTheCap() {
        ConsoleFixture f("MySQL", {{"console.max_action_rows", "5"}});
        const auto first = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom 1");
        f.copyRow(first, 3);
        const auto other = f.insertFailed("orders", "order.placed", "HandlerFailed", "other");
        f.copyRow(other, 5);
        auto groups = f.get("/api/failed/groups").json->getArray("groups");
        const std::string big = groups->getObject(0)->getValue<std::string>("group");
        const std::string small = groups->getObject(1)->getValue<std::string>("group");
        // The operator saw 3, the group holds 4 now.
        auto stale = f.act(R"({"action":"remove","group":")" + small + R"(","expected_count":3})");
        CPPUNIT_ASSERT_EQUAL(409, stale.status);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{4}, numberOf(stale.json, "count"));
        auto over = f.act(R"({"action":"remove","group":")" + big + R"(","expected_count":6})");
        CPPUNIT_ASSERT_EQUAL(400, over.status);
        assertContains(over.json->getValue<std::string>("error"), "console.max_action_rows = 5");
        auto done = f.act(R"({"action":"remove","group":")" + small +
                          R"(","filter":{"consumer":"orders"},"expected_count":4})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(done.body, std::int64_t{4}, numberOf(done.json, "done"));
        CPPUNIT_ASSERT_EQUAL(6, f.count("SELECT COUNT(*) FROM " + f.settings.failedTable));
        auto audit = f.get("/api/actions").json->getArray("actions")->getObject(0);
        assertContains(audit->getValue<std::string>("filter"), "\"group\":\"" + small + "\"");
        assertContains(audit->getValue<std::string>("filter"), "\"expected_count\":4");
    }

    void testRetryToAnotherConsumerOnlyWhereItHandlesTheName() {
        ConsoleFixture f("MySQL",
                         {{"inbox.consumers", "orders, billing, shipping"},
                          {"inbox.consumer.orders.queue", "q1"},
                          {"inbox.consumer.billing.queue", "q2"},
                          {"inbox.consumer.shipping.queue", "q3"}},
                         false,
                         {{"orders", {"order.placed"}},
                          {"billing", {"order.placed", "invoice.paid"}},
                          {"shipping", {"parcel.sent"}}});
        const auto row = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom");
        auto refused = refusedOf(
            f.act(R"({"action":"retry","ids":)" + ids({row}) + R"(,"to_consumer":"shipping"})"));
        assertContains(refused[row], "consumer shipping has no handler for order.placed");
        CPPUNIT_ASSERT_EQUAL(
            400, f.act(R"({"action":"retry","ids":)" + ids({row}) + R"(,"to_consumer":"nobody"})")
                     .status);
        auto moved =
            f.act(R"({"action":"retry","ids":)" + ids({row}) + R"(,"to_consumer":"billing"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(moved.body, std::int64_t{1}, numberOf(moved.json, "done"));
        CPPUNIT_ASSERT_EQUAL(1, f.count("SELECT COUNT(*) FROM " + f.settings.failedTable +
                                        " WHERE source = 'amqp:billing' AND queue_name = 'retry'"));
        // Listed under its new consumer's group.
        auto listed = f.get("/api/failed/groups?status=retry&consumer=billing");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, listed.json->getArray("groups")->size());
    }

    void testOutboxRowGoesBackIntoTheOutbox() {
        ConsoleFixture f("SQLite");
        Message message("order.placed", R"({"n":1})");
        message.setId(Id::generate());
        message.setCreatedAt(core::nowMillis());
        core::FailedRecord r;
        r.source = core::OutboxEnvelope::source;
        r.messageId = message.id();
        r.messageName = message.name();
        r.envelopeJson = core::OutboxEnvelope::encode(message);
        r.body = message.payload();
        r.errorClass = "OutboxPublishFailed";
        r.errorMessage = "NO_ROUTE";
        r.createdAt = r.availableAt = message.createdAt();
        r.failedAt = r.createdAt;
        const auto id = f.insert(r);
        auto reply = f.act(R"({"action":"retry","ids":)" + ids({id}) + "}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reply.body, std::int64_t{1}, numberOf(reply.json, "done"));
        CPPUNIT_ASSERT_EQUAL(1, f.count("SELECT COUNT(*) FROM " + f.settings.outbox.table));
        CPPUNIT_ASSERT_EQUAL(0, f.count("SELECT COUNT(*) FROM " + f.settings.failedTable));
    }

    // An ordered consumer's failed row that heads a parked key: the message page names the key
    // and the skip keeps the row as failed while the key goes on; a row that heads no key is
    // refused with the reason, and a skip never takes a whole group.
    void skipReleasesTheKeyOfAParkedHeadOnly(const std::string& connector) {
        ConsoleFixture f(connector, {{"inbox.consumers", "orders"},
                                     {"inbox.consumer.orders.queue", "q1"},
                                     {"inbox.consumer.orders.ordered", "true"}});
        const auto head = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom", 0,
                                         "retry", core::nowMillis() + kDay);
        const auto lone = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom");
        core::SequenceStore sequences(f.database->dialect(), f.settings.dedupTable);
        {
            auto session = f.database->session();
            const auto row = core::FailedStore(f.database->dialect(), f.settings.failedTable)
                                 .find(*session, head);
            sequences.open(*session, "orders", core::SequenceStore::keyOf("customer-7"),
                           *row->messageId, core::nowMillis());
        }
        const auto page = f.get("/api/failed/messages/" + std::to_string(head));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(page.body, std::string("customer-7"),
                                     page.json->getValue<std::string>("parked_key"));
        CPPUNIT_ASSERT(
            f.get("/api/failed/messages/" + std::to_string(lone)).json->isNull("parked_key"));

        auto group = f.act(R"({"action":"skip","group":"g","expected_count":1})");
        CPPUNIT_ASSERT_EQUAL(400, group.status);
        const auto done = f.act(R"({"action":"skip","ids":[)" + std::to_string(head) + "," +
                                std::to_string(lone) + "]}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(done.body, std::int64_t{1}, numberOf(done.json, "done"));
        const auto refused = refusedOf(done);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), refused.size());
        assertContains(refused.at(lone), "not the head of a parked key");
        // Kept as a failed row, no longer retried; its key's parked messages are due.
        CPPUNIT_ASSERT_EQUAL(
            1, f.count("SELECT COUNT(*) FROM " + f.settings.failedTable +
                       " WHERE queue_name = 'failed' AND id = " + std::to_string(head)));
        {
            auto session = f.database->session();
            const auto released = sequences.released(*session, "orders", 10);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), released.size());
            CPPUNIT_ASSERT_EQUAL(core::SequenceStore::keyOf("customer-7"), released.front());
        }
        CPPUNIT_ASSERT(
            f.get("/api/failed/messages/" + std::to_string(head)).json->isNull("parked_key"));
        auto audit = f.get("/api/actions").json->getArray("actions")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("skip"), audit->getValue<std::string>("action"));
    }

    void testSkipReleasesTheKeyOfAParkedHeadOnlyOnMariaDb() {
        skipReleasesTheKeyOfAParkedHeadOnly("MySQL");
    }
    void testSkipReleasesTheKeyOfAParkedHeadOnlyOnSqlite() {
        skipReleasesTheKeyOfAParkedHeadOnly("SQLite");
    }

    void testCliFailedCommandsWriteTheAuditTrail() {
        ConsoleFixture f("MySQL");
        const auto a = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom");
        const auto b = f.insertFailed("orders", "order.placed", "HandlerFailed", "boom");
        std::string output;
        const std::string binary = test::msgbusBinary() + " ";
        CPPUNIT_ASSERT_EQUAL(0, test::runCommand(binary + "failed:retry " + std::to_string(a) +
                                                     " --config " + f.configPath,
                                                 &output));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0,
                                     test::runCommand(binary + "failed:remove " +
                                                          std::to_string(b) + " --config " +
                                                          f.configPath,
                                                      &output));
        auto actions = f.get("/api/actions").json->getArray("actions");
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, actions->size());
        auto remove = actions->getObject(0), retry = actions->getObject(1);
        CPPUNIT_ASSERT_EQUAL(std::string("remove"), remove->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("retry"), retry->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("cli"), remove->getValue<std::string>("origin"));
        assertContains(remove->getValue<std::string>("who"), "cli:");
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, numberOf(remove, "done"));
        CPPUNIT_ASSERT_EQUAL("{\"ids\":[" + std::to_string(b) + "]}",
                             remove->getValue<std::string>("filter"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, numberOf(retry, "done"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleActionsTest);
