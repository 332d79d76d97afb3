// InboxBatchContext on an in-memory SQLite outbox (no service): what a batch handler publishes
// with a cause carries that cause's correlation and its handling span, what it publishes
// without one carries none, and a cause from outside the call is refused.
#include "core/inbox/InboxBatchContext.h"

#include "core/db/Database.h"
#include "core/db/Schema.h"

#include <msgbus/Error.h>

#include <Poco/Data/Session.h>

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

using namespace msgbus;
using namespace msgbus::core;
using namespace Poco::Data::Keywords;

namespace {

const TableNames names;

Poco::Data::Session emptySchema() {
    Database::registerConnectors();
    Poco::Data::Session session("SQLite", ":memory:");
    for (const auto& sql : Schema::statements(Dialect::SQLite, names))
        session << sql, now;
    return session;
}

Message cause(const std::string& correlation) {
    Message m("test.order", "{}");
    m.setId(Id::generate());
    m.setHeader("correlation-id", correlation);
    m.setHeader("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    return m;
}

std::string headersOf(Poco::Data::Session& session, const std::string& name) {
    std::string headers;
    session << "SELECT headers FROM " + names.outbox + " WHERE message_name = ?", bind(name),
        into(headers), now;
    return headers;
}

} // namespace

class InboxBatchContextTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(InboxBatchContextTest);
    CPPUNIT_TEST(testPublishWithACauseContinuesThatCause);
    CPPUNIT_TEST(testPublishWithoutACauseStartsAfresh);
    CPPUNIT_TEST(testACopyOfACauseIsFoundByItsId);
    CPPUNIT_TEST(testACauseFromOutsideTheCallIsRefused);
    CPPUNIT_TEST(testPublishedMessagesAreWrittenTogetherAtFlush);
    CPPUNIT_TEST(testAnInvalidMessageIsRefusedAtItsPublish);
    CPPUNIT_TEST_SUITE_END();

    struct Call {
        Poco::Data::Session session = emptySchema();
        std::vector<Message> messages{cause("first"), cause("second")};
        std::vector<std::string> spans{"1111111111111111", "2222222222222222"};
        std::string consumer = "orders";
        InboxBatchContext context{session,
                                  OutboxWriter::Options{names.outbox, 1024},
                                  Poco::Logger::get("test"),
                                  messages,
                                  spans,
                                  2,
                                  consumer,
                                  true};
    };

public:
    void testPublishWithACauseContinuesThatCause() {
        Call call;
        call.context.publish(Message("test.second.done", "{}"), call.messages[1]);
        call.context.flush();
        const std::string headers = headersOf(call.session, "test.second.done");
        CPPUNIT_ASSERT(headers.find("second") != std::string::npos);
        CPPUNIT_ASSERT(headers.find(call.messages[1].id().toString()) != std::string::npos);
        // Its traceparent names the second message's handling span as the parent.
        CPPUNIT_ASSERT(headers.find("2222222222222222") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, call.context.published(0));
        CPPUNIT_ASSERT_EQUAL(1, call.context.published(1));
        CPPUNIT_ASSERT_EQUAL(2, call.context.attempt());
        CPPUNIT_ASSERT(call.context.isRerun());
    }

    void testPublishWithoutACauseStartsAfresh() {
        Call call;
        call.context.publish(Message("test.summary", "{}"));
        call.context.flush();
        const std::string headers = headersOf(call.session, "test.summary");
        CPPUNIT_ASSERT(headers.find("traceparent") == std::string::npos);
        CPPUNIT_ASSERT(headers.find("correlation-id") == std::string::npos);
        CPPUNIT_ASSERT(headers.find("causation-id") == std::string::npos);
        // Counted for the first message, so that the relays are woken.
        CPPUNIT_ASSERT_EQUAL(1, call.context.published(0));
    }

    void testACopyOfACauseIsFoundByItsId() {
        Call call;
        const Message copy = call.messages[0];
        call.context.publish(Message("test.first.done", "{}"), copy);
        call.context.flush();
        CPPUNIT_ASSERT(headersOf(call.session, "test.first.done").find("first") !=
                       std::string::npos);
        CPPUNIT_ASSERT_EQUAL(1, call.context.published(0));
    }

    void testACauseFromOutsideTheCallIsRefused() {
        Call call;
        const Message stranger = cause("third");
        CPPUNIT_ASSERT_THROW(call.context.publish(Message("test.x.done", "{}"), stranger),
                             InvalidArgument);
        int rows = -1;
        call.session << "SELECT COUNT(*) FROM " + names.outbox, into(rows), now;
        CPPUNIT_ASSERT_EQUAL(0, rows);
    }

    void testPublishedMessagesAreWrittenTogetherAtFlush() {
        Call call;
        // More than one statement's worth of rows.
        const int n = static_cast<int>(OutboxWriter::kMaxRowsPerStatement) * 2 + 5;
        for (int i = 0; i < n; ++i)
            call.context.publish(Message("test.many", R"({"i":)" + std::to_string(i) + "}"),
                                 call.messages[i % 2]);
        CPPUNIT_ASSERT_EQUAL(0, outboxRows(call.session));
        call.context.flush();
        CPPUNIT_ASSERT_EQUAL(n, outboxRows(call.session));
        int distinct = 0;
        call.session << "SELECT COUNT(DISTINCT message_id) FROM " + names.outbox, into(distinct),
            now;
        CPPUNIT_ASSERT_EQUAL(n, distinct);
        CPPUNIT_ASSERT_EQUAL(n / 2 + 1, call.context.published(0));
        CPPUNIT_ASSERT_EQUAL(n / 2, call.context.published(1));
        // Flushed once, nothing is written twice.
        call.context.flush();
        CPPUNIT_ASSERT_EQUAL(n, outboxRows(call.session));
    }

    void testAnInvalidMessageIsRefusedAtItsPublish() {
        Call call;
        call.context.publish(Message("test.good", "{}"), call.messages[0]);
        CPPUNIT_ASSERT_THROW(call.context.publish(Message("test.bad", "[1]"), call.messages[1]),
                             InvalidArgument);
        CPPUNIT_ASSERT_THROW(
            call.context.publish(Message("test.big", R"({"x":")" + std::string(2000, 'x') + "\"}"),
                                 call.messages[1]),
            InvalidArgument);
        call.context.flush();
        CPPUNIT_ASSERT_EQUAL(1, outboxRows(call.session));
        CPPUNIT_ASSERT_EQUAL(0, call.context.published(1));
    }

private:
    static int outboxRows(Poco::Data::Session& session) {
        int rows = -1;
        session << "SELECT COUNT(*) FROM " + names.outbox, into(rows), now;
        return rows;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InboxBatchContextTest);
