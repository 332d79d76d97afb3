// The console's failed-message API against real MariaDB and SQLite, served over HTTP in-process:
// grouping (digits, hex ids and UUIDs normalised into one group), filters, keyset paging, one
// message (headers masked, body cut over 1 MiB, trace link), and the exports.
#include "core/console/BodyView.h"
#include "core/failed/FailedStore.h"
#include "core/failed/FailureGroup.h"
#include "core/failed/OutboxEnvelope.h"
#include "core/util/Clock.h"
#include "support/ConsoleFixture.h"

#include <Poco/JSON/Array.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using test::ConsoleFixture;
using test::numberOf;

namespace {

Poco::JSON::Array::Ptr arrayOf(const test::ConsoleReply& reply, const std::string& key) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(reply.body, 200, reply.status);
    auto array = reply.json->getArray(key);
    CPPUNIT_ASSERT_MESSAGE("no array " + key + " in " + reply.body, !array.isNull());
    return array;
}

Poco::JSON::Object::Ptr at(const Poco::JSON::Array::Ptr& array, std::size_t i) {
    return array->getObject(static_cast<unsigned>(i));
}

void assertContains(const std::string& text, const std::string& part) {
    CPPUNIT_ASSERT_MESSAGE("'" + text.substr(0, 2000) + "' lacks '" + part + "'",
                           text.find(part) != std::string::npos);
}

/// One group per fault: 3 "order N not found" rows with varying numbers, hex ids and UUIDs,
/// 2 of another error, 1 of another consumer with the same error.
void checkGrouping(ConsoleFixture& f) {
    f.insertFailed("orders", "order.placed", "HandlerFailed",
                   "order 17 not found (request 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b, 0x1f2e)");
    f.insertFailed("orders", "order.placed", "HandlerFailed",
                   "order 90231 not found (request 01f0ffff-0000-7000-8000-abcdefabcdef, 0xdead)");
    f.insertFailed("orders", "order.placed", "HandlerFailed",
                   "order 5 not found (request 0123abcd-0000-7000-8000-000000000001, 0x0)");
    f.insertFailed("orders", "order.placed", "HandlerFailed", "customer 12 is blocked");
    f.insertFailed("orders", "order.placed", "HandlerFailed", "customer 7 is blocked");
    f.insertFailed("billing", "order.placed", "HandlerFailed", "customer 7 is blocked");
    auto groups = arrayOf(f.get("/api/failed/groups"), "groups");
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, groups->size());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, numberOf(at(groups, 0), "count"));
    CPPUNIT_ASSERT_EQUAL(std::string("order # not found (request <uuid>, <id>)"),
                         at(groups, 0)->getValue<std::string>("fingerprint"));
    CPPUNIT_ASSERT_EQUAL(std::string("orders"), at(groups, 0)->getValue<std::string>("consumer"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, numberOf(at(groups, 1), "count"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, numberOf(at(groups, 2), "count"));
    CPPUNIT_ASSERT_EQUAL(std::string("billing"), at(groups, 2)->getValue<std::string>("consumer"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3},
                         numberOf(f.get("/api/failed/groups").json, "total_groups"));
    // The group's own list holds its rows, and nothing else.
    const std::string group = at(groups, 0)->getValue<std::string>("group");
    auto reply = f.get("/api/failed/messages?group=" + group);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, arrayOf(reply, "messages")->size());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, numberOf(reply.json, "total"));
    // Filters on the groups page: by consumer, and by text in the error.
    CPPUNIT_ASSERT_EQUAL(std::size_t{1},
                         arrayOf(f.get("/api/failed/groups?consumer=billing"), "groups")->size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2},
                         arrayOf(f.get("/api/failed/groups?q=BLOCKED"), "groups")->size());
}

} // namespace

class ConsoleFailedApiTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsoleFailedApiTest);
    CPPUNIT_TEST(testDigitsHexIdsAndUuidsGroupTogetherOnMariaDb);
    CPPUNIT_TEST(testDigitsHexIdsAndUuidsGroupTogetherOnSqlite);
    CPPUNIT_TEST(testFiltersAndKeysetPagingOnMariaDb);
    CPPUNIT_TEST(testFiltersAndKeysetPagingOnSqlite);
    CPPUNIT_TEST(testOneMessageMasksHeadersAndLinksTheTrace);
    CPPUNIT_TEST(testALeasedMessageNamesWhoHoldsIt);
    CPPUNIT_TEST(testBodyOverOneMebibyteIsCutAndHexForBinary);
    CPPUNIT_TEST(testExportsAsCsvAndJson);
    CPPUNIT_TEST(testUnknownMessageAndBadParametersAreNamed);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDigitsHexIdsAndUuidsGroupTogetherOnMariaDb() {
        ConsoleFixture f("MySQL");
        checkGrouping(f);
    }

    void testDigitsHexIdsAndUuidsGroupTogetherOnSqlite() {
        ConsoleFixture f("SQLite");
        checkGrouping(f);
    }

    void testFiltersAndKeysetPagingOnMariaDb() { checkPaging("MySQL"); }
    void testFiltersAndKeysetPagingOnSqlite() { checkPaging("SQLite"); }

    void checkPaging(const std::string& connector) {
        ConsoleFixture f(connector);
        const std::int64_t now = core::nowMillis();
        const std::int64_t first =
            f.insertFailed("orders", "order.placed", "HandlerFailed", "boom 1", now - 60000);
        f.copyRow(first, 119);
        f.insertFailed("billing", "invoice.paid", "Timeout", "slow 1", now);
        f.insertFailed("orders", "order.placed", "HandlerFailed", "retrying 1", now, "retry",
                       now + 60000);
        // Three pages of 50, 50 and 20 cover the 120 "boom" rows once each, in id order.
        std::vector<std::int64_t> seen;
        std::string after;
        for (int page = 0; page < 3; ++page) {
            auto reply =
                f.get("/api/failed/messages?name=order.placed&status=failed&limit=50" + after);
            auto rows = arrayOf(reply, "messages");
            CPPUNIT_ASSERT_EQUAL(std::int64_t{120}, numberOf(reply.json, "total"));
            for (std::size_t i = 0; i < rows->size(); ++i)
                seen.push_back(numberOf(at(rows, i), "id"));
            if (page < 2)
                after = "&after=" + std::to_string(numberOf(reply.json, "next_after"));
            else
                CPPUNIT_ASSERT(reply.json->isNull("next_after"));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t{120}, seen.size());
        for (std::size_t i = 1; i < seen.size(); ++i)
            CPPUNIT_ASSERT(seen[i] > seen[i - 1]);
        // Each filter alone.
        const auto total = [&f](const std::string& query) {
            return numberOf(f.get("/api/failed/messages?" + query).json, "total");
        };
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, total("consumer=billing"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, total("error_class=Timeout"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, total("q=SLOW"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, total("since=" + std::to_string(now - 1000)));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{120}, total("until=" + std::to_string(now - 1000)));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, total("status=retry"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{122}, total("status=all"));
        // A LIKE wildcard in the text matches itself only.
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, total("q=%25"));
    }

    void testOneMessageMasksHeadersAndLinksTheTrace() {
        ConsoleFixture f("MySQL", {{"console.trace_url", "https://traces.example/t/{trace_id}"},
                                   {"console.masked_headers", "authorization, token"}});
        core::FailedRecord r;
        r.source = "amqp:orders";
        r.messageId = Id::generate();
        r.messageName = "order.placed";
        r.envelopeJson =
            R"({"properties":{"content_type":"application/json"},"headers":{)"
            R"("Authorization":{"S":"Bearer s3cr3t"},"x-auth-token":{"S":"t0k3n"},)"
            R"("traceparent":{"S":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},)"
            R"("x-count":{"l":5}}})";
        r.body = R"({"order":{"id":17,"lines":[1,2]},"note":"a:b, c"})";
        r.errorClass = "HandlerFailed";
        r.errorMessage = "boom";
        r.createdAt = r.availableAt = core::nowMillis();
        r.failedAt = r.createdAt;
        const auto id = f.insert(r);
        auto reply = f.get("/api/failed/messages/" + std::to_string(id));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reply.body, 200, reply.status);
        auto headers = reply.json->getObject("headers");
        CPPUNIT_ASSERT_EQUAL(std::string("***"), headers->getValue<std::string>("Authorization"));
        CPPUNIT_ASSERT_EQUAL(std::string("***"), headers->getValue<std::string>("x-auth-token"));
        CPPUNIT_ASSERT_EQUAL(std::string("5"), headers->getValue<std::string>("x-count"));
        CPPUNIT_ASSERT(reply.body.find("s3cr3t") == std::string::npos);
        CPPUNIT_ASSERT(reply.body.find("t0k3n") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("4bf92f3577b34da6a3ce929d0e0e4736"),
                             reply.json->getValue<std::string>("trace_id"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("https://traces.example/t/4bf92f3577b34da6a3ce929d0e0e4736"),
            reply.json->getValue<std::string>("trace_link"));
        auto body = reply.json->getObject("body");
        CPPUNIT_ASSERT_EQUAL(std::string("json"), body->getValue<std::string>("kind"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("{\n  \"order\": {\n    \"id\": 17,\n    \"lines\": [\n"
                        "      1,\n      2\n    ]\n  },\n  \"note\": \"a:b, c\"\n}"),
            body->getValue<std::string>("text"));
        CPPUNIT_ASSERT(!body->getValue<bool>("cut"));
        CPPUNIT_ASSERT(!reply.json->getObject("lease")->getValue<bool>("running"));
    }

    void testALeasedMessageNamesWhoHoldsIt() {
        ConsoleFixture f("MySQL");
        const std::int64_t now = core::nowMillis();
        const auto id =
            f.insertFailed("orders", "order.placed", "HandlerFailed", "boom", now, "retry", now);
        {
            auto session = f.database->session();
            core::FailedStore store(f.database->dialect(), f.settings.failedTable);
            CPPUNIT_ASSERT(store.lease(*session, id, "retry", 3, now + 60000, "host-b:4242"));
        }
        auto lease = f.get("/api/failed/messages/" + std::to_string(id)).json->getObject("lease");
        CPPUNIT_ASSERT(lease->getValue<bool>("running"));
        CPPUNIT_ASSERT_EQUAL(std::string("host-b:4242"), lease->getValue<std::string>("by"));
        CPPUNIT_ASSERT_EQUAL(now + 60000, lease->getValue<Poco::Int64>("until"));
    }

    void testBodyOverOneMebibyteIsCutAndHexForBinary() {
        ConsoleFixture f("MySQL");
        core::FailedRecord r;
        r.source = "amqp:orders";
        r.messageName = "order.placed";
        r.envelopeJson = "{}";
        r.body = std::string(core::console::BodyView::kShownBytes + 5000, 'a');
        r.errorClass = "HandlerFailed";
        r.errorMessage = "boom";
        r.createdAt = r.availableAt = core::nowMillis();
        auto body =
            f.get("/api/failed/messages/" + std::to_string(f.insert(r))).json->getObject("body");
        CPPUNIT_ASSERT_EQUAL(std::string("text"), body->getValue<std::string>("kind"));
        CPPUNIT_ASSERT(body->getValue<bool>("cut"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(core::console::BodyView::kShownBytes + 5000),
                             numberOf(body, "size"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(core::console::BodyView::kShownBytes),
                             numberOf(body, "shown"));
        CPPUNIT_ASSERT_EQUAL(core::console::BodyView::kShownBytes,
                             body->getValue<std::string>("text").size());
        r.body = std::string("\x00\x01\xff{", 4);
        body = f.get("/api/failed/messages/" + std::to_string(f.insert(r))).json->getObject("body");
        CPPUNIT_ASSERT_EQUAL(std::string("hex"), body->getValue<std::string>("kind"));
        assertContains(body->getValue<std::string>("text"), "00000000  00 01 ff 7b");
        assertContains(body->getValue<std::string>("text"), "|...{|");
    }

    void testExportsAsCsvAndJson() {
        ConsoleFixture f("SQLite");
        f.insertFailed("orders", "order.placed", "HandlerFailed", "=HYPERLINK(\"x\"), \"quoted\"");
        auto csv = f.get("/api/failed/messages?format=csv");
        CPPUNIT_ASSERT_EQUAL(200, csv.status);
        assertContains(csv.headers["Content-Type"], "text/csv");
        assertContains(csv.headers["Content-Disposition"], "attachment");
        assertContains(csv.body, "id,message_id,message_name,consumer");
        // A formula is defused, quotes doubled.
        assertContains(csv.body, "\"'=HYPERLINK(\"\"x\"\"), \"\"quoted\"\"\"");
        auto json = f.get("/api/failed/groups?format=json");
        assertContains(json.headers["Content-Disposition"], "attachment");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, arrayOf(json, "groups")->size());
        CPPUNIT_ASSERT_EQUAL(200, f.get("/api/failed/groups?format=csv").status);
    }

    void testUnknownMessageAndBadParametersAreNamed() {
        ConsoleFixture f("SQLite");
        auto missing = f.get("/api/failed/messages/987654");
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("no failed message 987654"),
                             missing.json->getValue<std::string>("error"));
        auto bad = f.get("/api/failed/messages?limit=abc");
        CPPUNIT_ASSERT_EQUAL(400, bad.status);
        assertContains(bad.json->getValue<std::string>("error"), "'limit'");
        CPPUNIT_ASSERT_EQUAL(400, f.get("/api/failed/groups?status=nope").status);
        CPPUNIT_ASSERT_EQUAL(400, f.get("/api/failed/messages?group=x'%20OR%201=1").status);
        CPPUNIT_ASSERT_EQUAL(404, f.get("/api/nothing").status);
        assertContains(f.get("/api/failed/groups").headers["Content-Type"], "application/json");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleFailedApiTest);
