// BatchHandler in the SDK: a batch handler called as a plain Handler gets the message as a
// call of one, and FakeHandlerContext serves as its context in plugin authors' unit tests,
// recording which cause each published message named.
#include <msgbus/BatchHandler.h>
#include <msgbus/testing/FakeHandlerContext.h>

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

namespace {

/// Publishes one test.seen per message (with it as the cause) and one test.summary without.
class SeenBatchHandler : public msgbus::BatchHandler {
public:
    std::vector<std::string> messageNames() const override { return {"test.order"}; }
    void handleBatch(std::span<const msgbus::Message> messages,
                     msgbus::BatchHandlerContext& context) override {
        calls.push_back(messages.size());
        reruns.push_back(context.isRerun());
        for (const auto& m : messages)
            context.publish(msgbus::Message("test.seen", m.payload()), m);
        context.publish(msgbus::Message("test.summary", "{}"));
    }
    std::vector<std::size_t> calls;
    std::vector<bool> reruns;
};

msgbus::Message order(int n) {
    msgbus::Message m("test.order", R"({"n":)" + std::to_string(n) + "}");
    m.setId(msgbus::Id::generate());
    return m;
}

} // namespace

class BatchHandlerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BatchHandlerTest);
    CPPUNIT_TEST(testFakeContextRecordsEachPublishedMessagesCause);
    CPPUNIT_TEST(testCalledAsAHandlerItGetsTheMessageAsACallOfOne);
    CPPUNIT_TEST(testABatchHandlerIsFoundFromItsHandlerBase);
    CPPUNIT_TEST_SUITE_END();

public:
    void testFakeContextRecordsEachPublishedMessagesCause() {
        SeenBatchHandler handler;
        msgbus::testing::FakeHandlerContext context;
        context.setRerun(true);
        const std::vector<msgbus::Message> messages{order(1), order(2)};
        handler.handleBatch(messages, context);
        CPPUNIT_ASSERT(handler.calls == std::vector<std::size_t>{2});
        CPPUNIT_ASSERT(handler.reruns == std::vector<bool>{true});
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), context.published().size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), context.causes().size());
        CPPUNIT_ASSERT(context.causes()[0] == messages[0].id());
        CPPUNIT_ASSERT(context.causes()[1] == messages[1].id());
        CPPUNIT_ASSERT(!context.causes()[2]);
        CPPUNIT_ASSERT(context.published()[2].hasId());
        context.clearPublished();
        CPPUNIT_ASSERT(context.causes().empty());
    }

    void testCalledAsAHandlerItGetsTheMessageAsACallOfOne() {
        SeenBatchHandler handler;
        msgbus::Handler& plain = handler;
        msgbus::testing::FakeHandlerContext context;
        const msgbus::Message message = order(7);
        plain.handle(message, context);
        CPPUNIT_ASSERT(handler.calls == std::vector<std::size_t>{1});
        // Through a plain HandlerContext, which knows no causes: both publishes reach it.
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), context.published().size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":7})"), context.published()[0].payload());
        CPPUNIT_ASSERT(!context.causes()[0]);
    }

    void testABatchHandlerIsFoundFromItsHandlerBase() {
        std::shared_ptr<msgbus::Handler> handler = std::make_shared<SeenBatchHandler>();
        CPPUNIT_ASSERT(dynamic_cast<msgbus::BatchHandler*>(handler.get()) != nullptr);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BatchHandlerTest);
