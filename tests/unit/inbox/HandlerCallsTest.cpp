// HandlerCalls: which handler calls a batch's fresh messages make. A batch handler's messages
// share one call unless their attempt or rerun flag differ, one was marked to run alone after
// its call failed, or joining would move it ahead of an earlier message of its partition key.
#include "core/inbox/HandlerCalls.h"

#include <msgbus/BatchHandler.h>

#include <cppunit/extensions/HelperMacros.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

using namespace msgbus;
using namespace msgbus::core;

namespace {

class NoBatchWork : public BatchHandler {
public:
    std::vector<std::string> messageNames() const override { return {"test.batch"}; }
    void handleBatch(std::span<const Message>, BatchHandlerContext&) override {}
};

class NoWork : public Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.plain"}; }
    void handle(const Message&, HandlerContext&) override {}
};

/// A batch of prepared messages: "b" (the batch handler), "o" (another batch handler) or "p"
/// (a per-message handler), each with its name as its key in the payload.
struct Batch {
    Batch() {
        auto batchHandler = std::make_shared<NoBatchWork>();
        batch.handler = batchHandler;
        batch.batch = batchHandler.get();
        auto otherHandler = std::make_shared<NoBatchWork>();
        other.handler = otherHandler;
        other.batch = otherHandler.get();
        plain.handler = std::make_shared<NoWork>();
    }

    PreparedMessage& add(const std::string& kind, const std::string& name,
                         std::optional<std::string> key = std::nullopt, int attempt = 1) {
        items.emplace_back(nullptr, attempt);
        PreparedMessage& p = messages.emplace_back();
        p.item = &items.back();
        p.message = Message("test.x", R"({"k":")" + name + R"("})");
        p.message->setId(Id::generate());
        if (key)
            p.message->setPartitionKey(*key);
        p.handler = kind == "b" ? &batch : kind == "o" ? &other : &plain;
        return p;
    }

    /// The calls, each as its messages' names joined by "+", a batch call marked with "*".
    std::vector<std::string> calls() {
        std::vector<PreparedMessage*> fresh;
        for (auto& p : messages)
            fresh.push_back(&p);
        std::vector<std::string> out;
        for (const auto& call : HandlerCalls::plan(fresh)) {
            std::string text = call.batch ? "*" : "";
            for (std::size_t i = 0; i < call.messages.size(); ++i)
                text += (i ? "+" : "") + nameOf(*call.messages[i]);
            out.push_back(text);
        }
        return out;
    }

    static std::string nameOf(const PreparedMessage& p) {
        const auto& payload = p.message->payload();
        return payload.substr(6, payload.size() - 8);
    }

    HandlerBinding batch{"t", "Batch", nullptr, {}, nullptr};
    HandlerBinding other{"t", "Other", nullptr, {}, nullptr};
    HandlerBinding plain{"t", "Plain", nullptr, {}, nullptr};
    std::deque<InboxItem> items;
    std::deque<PreparedMessage> messages;
};

using Calls = std::vector<std::string>;

} // namespace

class HandlerCallsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HandlerCallsTest);
    CPPUNIT_TEST(testBatchHandlersMessagesShareOneCallAtTheFirstOnesPlace);
    CPPUNIT_TEST(testEachBatchHandlerHasItsOwnCall);
    CPPUNIT_TEST(testPerMessageHandlersRunWhereTheyStand);
    CPPUNIT_TEST(testAMessageNeverJumpsAnEarlierMessageOfItsKey);
    CPPUNIT_TEST(testMessagesMarkedToRunAloneAreCallsOfTheirOwn);
    CPPUNIT_TEST(testRerunsAndAttemptsAreNotMixedInOneCall);
    CPPUNIT_TEST(testEmptyBatchMakesNoCall);
    CPPUNIT_TEST_SUITE_END();

public:
    void testBatchHandlersMessagesShareOneCallAtTheFirstOnesPlace() {
        Batch b;
        b.add("b", "b1");
        b.add("b", "b2");
        b.add("b", "b3");
        CPPUNIT_ASSERT(b.calls() == (Calls{"*b1+b2+b3"}));
    }

    void testEachBatchHandlerHasItsOwnCall() {
        Batch b;
        b.add("b", "b1");
        b.add("o", "o1");
        b.add("b", "b2");
        b.add("o", "o2");
        CPPUNIT_ASSERT(b.calls() == (Calls{"*b1+b2", "*o1+o2"}));
    }

    void testPerMessageHandlersRunWhereTheyStand() {
        Batch b;
        b.add("p", "p1");
        b.add("b", "b1");
        b.add("p", "p2");
        b.add("b", "b2");
        b.add("p", "p3");
        CPPUNIT_ASSERT(b.calls() == (Calls{"p1", "*b1+b2", "p2", "p3"}));
    }

    void testAMessageNeverJumpsAnEarlierMessageOfItsKey() {
        Batch b;
        b.add("b", "b1", "k1");
        b.add("p", "p1", "k1");
        b.add("b", "b2", "k1"); // behind p1: a new call
        b.add("b", "b3", "k2"); // joins the newest call of its handler
        b.add("b", "b4");       // no key: joins it too
        b.add("p", "p2", "k2");
        b.add("b", "b5", "k3"); // k3 not seen before: joins, passing p2
        CPPUNIT_ASSERT(b.calls() == (Calls{"*b1", "p1", "*b2+b3+b4+b5", "p2"}));
    }

    void testMessagesMarkedToRunAloneAreCallsOfTheirOwn() {
        Batch b;
        b.add("b", "b1").runsAlone = true;
        b.add("b", "b2");
        b.add("b", "b3").runsAlone = true;
        b.add("b", "b4");
        CPPUNIT_ASSERT(b.calls() == (Calls{"*b1", "*b2+b4", "*b3"}));
    }

    void testRerunsAndAttemptsAreNotMixedInOneCall() {
        Batch b;
        b.add("b", "b1").handlerRan = true;
        b.add("b", "b2");
        b.add("b", "b3").handlerRan = true;
        b.add("b", "b4", std::nullopt, 2);
        PreparedMessage& b5 = b.add("b", "b5");
        b.items.back().rerun = true; // the broker's count says it may have run
        (void)b5;
        CPPUNIT_ASSERT(b.calls() == (Calls{"*b1+b3+b5", "*b2", "*b4"}));
    }

    void testEmptyBatchMakesNoCall() {
        Batch b;
        CPPUNIT_ASSERT(b.calls().empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HandlerCallsTest);
