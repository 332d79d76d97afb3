// BasicReturn: the key a basic.return is matched by, computed alike from the message the
// publisher sends and from the properties the broker gives back, without a broker.
#include "core/amqp/BasicReturn.h"
#include "core/amqp/AmqpMessageEncoder.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using msgbus::FieldValue;
using msgbus::WireMessage;
using msgbus::core::amqp::AmqpMessageEncoder;
using msgbus::core::amqp::correlationKey;

namespace {

// The key of the message as sent, and as the broker returns it (the encoded properties).
void assertKey(const std::string& expected, const WireMessage& wire) {
    CPPUNIT_ASSERT_EQUAL(expected, correlationKey(wire));
    AmqpMessageEncoder encoder(wire);
    CPPUNIT_ASSERT_EQUAL(expected, correlationKey(*encoder.properties()));
}

} // namespace

class BasicReturnTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BasicReturnTest);
    CPPUNIT_TEST(testMessageIdIsTheKeyBeforeTheHeader);
    CPPUNIT_TEST(testXMessageIdHeaderIsTheKeyWithoutMessageId);
    CPPUNIT_TEST(testMessageWithoutIdHasNoKey);
    CPPUNIT_TEST(testHeaderThatIsNoStringIsNoKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMessageIdIsTheKeyBeforeTheHeader() {
        WireMessage wire;
        wire.properties.messageId = "id-1";
        wire.headers = {{"x-message-id", FieldValue::ofString("id-other")}};
        assertKey("id-1", wire);
    }

    void testXMessageIdHeaderIsTheKeyWithoutMessageId() {
        WireMessage wire;
        wire.headers = {{"a", FieldValue::ofInt32(1)},
                        {"x-message-id", FieldValue::ofString("id-2")}};
        assertKey("id-2", wire);
        wire.headers = {{"x-message-id", FieldValue::ofBytes(std::string("id\0-3", 5))}};
        assertKey(std::string("id\0-3", 5), wire);
    }

    void testMessageWithoutIdHasNoKey() {
        WireMessage wire;
        wire.body = "x";
        wire.properties.correlationId = "not-an-id";
        assertKey("", wire);
    }

    void testHeaderThatIsNoStringIsNoKey() {
        WireMessage wire;
        wire.headers = {{"x-message-id", FieldValue::ofInt64(42)}};
        assertKey("", wire);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BasicReturnTest);
