// MessageDecoder: decoding each item of a batch and finding its handler; what cannot reach a
// handler is marked with its reason instead of failing the batch.
#include "core/inbox/MessageDecoder.h"

#include <msgbus/Error.h>
#include <msgbus/Serializer.h>

#include <cppunit/extensions/HelperMacros.h>

#include <functional>
#include <memory>
#include <stdexcept>

using msgbus::Id;
using msgbus::Message;
using msgbus::WireMessage;
using msgbus::core::HandlerBinding;
using msgbus::core::InboxItem;
using msgbus::core::MessageDecoder;
using msgbus::core::PluginSet;
using msgbus::core::PreparedMessage;

namespace {

const char* const idText = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f";

/// Decodes by the body: "<name>" is a message of that name; a few bodies misbehave.
class ScriptedSerializer : public msgbus::Serializer {
public:
    WireMessage encode(const Message&) const override { return {}; }
    Message decode(const WireMessage& wire) const override {
        ++calls;
        if (wire.body == "malformed")
            throw msgbus::MalformedMessage("body", "not JSON");
        if (wire.body == "away")
            throw std::runtime_error("schema registry away");
        Message m(wire.body, "{}");
        if (wire.body != "no.id")
            m.setId(Id::parse(idText));
        return m;
    }
    mutable int calls = 0;
};

struct Fixture {
    Fixture() {
        serializer = std::make_shared<ScriptedSerializer>();
        plugins.serializer = serializer;
        placeOrder.pluginId = "orders";
        placeOrder.className = "PlaceOrder";
        placeOrder.messageNames = {"order.placed"};
        plugins.dispatch["orders"]["order.placed"] = &placeOrder;
        plugins.dispatch["billing"]["invoice.paid"] = &placeOrder;
    }

    std::vector<PreparedMessage> prepare(const std::vector<std::string>& bodies) {
        wires.clear();
        items.clear();
        wires.reserve(bodies.size());
        for (const auto& body : bodies) {
            wires.emplace_back();
            wires.back().body = body;
        }
        for (const auto& wire : wires)
            items.emplace_back(&wire);
        return MessageDecoder("orders").prepare(plugins, items);
    }

    std::shared_ptr<ScriptedSerializer> serializer;
    HandlerBinding placeOrder;
    PluginSet plugins;
    std::vector<WireMessage> wires;
    std::vector<InboxItem> items;
};

} // namespace

class MessageDecoderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MessageDecoderTest);
    CPPUNIT_TEST(testDecodedMessageFindsItsHandler);
    CPPUNIT_TEST(testMalformedInputIsRejectedPermanently);
    CPPUNIT_TEST(testSerializerThatFailsForAMomentIsRetried);
    CPPUNIT_TEST(testMessageWithoutIdIsMalformed);
    CPPUNIT_TEST(testInvalidMessageNameIsMalformed);
    CPPUNIT_TEST(testNameWithoutHandlerOfThisConsumerIsUnknown);
    CPPUNIT_TEST(testUndecodableDeliveryNeverReachesTheSerializer);
    CPPUNIT_TEST(testNoSerializerFailsTheWholeBatch);
    CPPUNIT_TEST(testOneBadMessageLeavesItsNeighboursAlone);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDecodedMessageFindsItsHandler() {
        Fixture f;
        const auto batch = f.prepare({"order.placed"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), batch.size());
        CPPUNIT_ASSERT(!batch[0].reject);
        CPPUNIT_ASSERT(batch[0].handler == &f.placeOrder);
        CPPUNIT_ASSERT(batch[0].item == &f.items[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"), batch[0].message->name());
        CPPUNIT_ASSERT_EQUAL(std::string("orders/PlaceOrder"), batch[0].handlerName());
    }

    void testMalformedInputIsRejectedPermanently() {
        Fixture f;
        const auto batch = f.prepare({"malformed"});
        CPPUNIT_ASSERT(batch[0].reject);
        CPPUNIT_ASSERT_EQUAL(std::string("MalformedMessage"), batch[0].reject->errorClass);
        CPPUNIT_ASSERT(!batch[0].reject->retryable);
        CPPUNIT_ASSERT(!batch[0].message);
        CPPUNIT_ASSERT(!batch[0].handler);
    }

    void testSerializerThatFailsForAMomentIsRetried() {
        Fixture f;
        const auto batch = f.prepare({"away"});
        CPPUNIT_ASSERT_EQUAL(std::string("DecodeError"), batch[0].reject->errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("schema registry away"), batch[0].reject->error);
        CPPUNIT_ASSERT(batch[0].reject->retryable);
    }

    void testMessageWithoutIdIsMalformed() {
        Fixture f;
        const auto batch = f.prepare({"no.id"});
        CPPUNIT_ASSERT_EQUAL(std::string("MalformedMessage"), batch[0].reject->errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("message id: the serializer returned no id"),
                             batch[0].reject->error);
        CPPUNIT_ASSERT(!batch[0].message);
    }

    void testInvalidMessageNameIsMalformed() {
        Fixture f;
        const auto batch = f.prepare({"OrderPlaced"});
        CPPUNIT_ASSERT_EQUAL(std::string("MalformedMessage"), batch[0].reject->errorClass);
        CPPUNIT_ASSERT(!batch[0].reject->retryable);
    }

    void testNameWithoutHandlerOfThisConsumerIsUnknown() {
        // invoice.paid has a handler, but for the billing consumer only.
        Fixture f;
        const auto batch = f.prepare({"invoice.paid"});
        CPPUNIT_ASSERT_EQUAL(std::string("UnknownMessageName"), batch[0].reject->errorClass);
        CPPUNIT_ASSERT(!batch[0].reject->retryable);
        CPPUNIT_ASSERT(batch[0].message);
        CPPUNIT_ASSERT(!batch[0].handler);
    }

    void testUndecodableDeliveryNeverReachesTheSerializer() {
        Fixture f;
        WireMessage wire;
        wire.body = "order.placed";
        InboxItem item(&wire);
        item.decodeError = "headers nested too deep";
        const auto batch = MessageDecoder("orders").prepare(f.plugins, {&item, 1});
        CPPUNIT_ASSERT_EQUAL(std::string("UndecodableDelivery"), batch[0].reject->errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("headers nested too deep"), batch[0].reject->error);
        CPPUNIT_ASSERT_EQUAL(0, f.serializer->calls);
    }

    void testNoSerializerFailsTheWholeBatch() {
        Fixture f;
        f.plugins.serializer.reset();
        CPPUNIT_ASSERT_THROW(f.prepare({"order.placed"}), msgbus::Error);
    }

    void testOneBadMessageLeavesItsNeighboursAlone() {
        Fixture f;
        const auto batch = f.prepare({"order.placed", "malformed", "order.placed", "away"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), batch.size());
        CPPUNIT_ASSERT(!batch[0].reject && batch[0].handler);
        CPPUNIT_ASSERT(batch[1].reject && !batch[1].reject->retryable);
        CPPUNIT_ASSERT(!batch[2].reject && batch[2].handler);
        CPPUNIT_ASSERT(batch[3].reject && batch[3].reject->retryable);
        for (std::size_t i = 0; i < batch.size(); ++i)
            CPPUNIT_ASSERT(batch[i].item == &f.items[i]);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MessageDecoderTest);
