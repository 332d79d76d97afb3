// PreparedMessage: the best-effort identity of a message that could not be decoded, for its
// failed row and its log lines.
#include "core/inbox/PreparedMessage.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::FieldValue;
using msgbus::Id;
using msgbus::WireMessage;
using msgbus::core::InboxItem;
using msgbus::core::PreparedMessage;

namespace {

const char* const headerId = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f";
const char* const propertyId = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e70";

} // namespace

class PreparedMessageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PreparedMessageTest);
    CPPUNIT_TEST(testIdHeaderComesBeforeTheProperty);
    CPPUNIT_TEST(testInvalidIdHeaderFallsBackToTheProperty);
    CPPUNIT_TEST(testNameFromHeadersThenTheTypeProperty);
    CPPUNIT_TEST(testNothingValidOnTheWireGivesNoIdentity);
    CPPUNIT_TEST(testDecodedMessageIdentityWins);
    CPPUNIT_TEST_SUITE_END();

public:
    void testIdHeaderComesBeforeTheProperty() {
        WireMessage wire;
        wire.headers.push_back({"x-message-id", FieldValue::ofString(headerId)});
        wire.properties.messageId = propertyId;
        CPPUNIT_ASSERT(PreparedMessage::idOf(wire) == Id::parse(headerId));
    }

    void testInvalidIdHeaderFallsBackToTheProperty() {
        WireMessage wire;
        wire.headers.push_back({"x-message-id", FieldValue::ofString("not-an-id")});
        wire.properties.messageId = propertyId;
        CPPUNIT_ASSERT(PreparedMessage::idOf(wire) == Id::parse(propertyId));
        // A header of another type is no id either.
        WireMessage binary;
        binary.headers.push_back({"x-message-id", FieldValue::ofInt64(7)});
        CPPUNIT_ASSERT(!PreparedMessage::idOf(binary));
    }

    void testNameFromHeadersThenTheTypeProperty() {
        WireMessage wire;
        wire.properties.type = "order.created";
        CPPUNIT_ASSERT_EQUAL(std::string("order.created"), *PreparedMessage::nameOf(wire));
        wire.headers.push_back({"type", FieldValue::ofString("order.placed")});
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"), *PreparedMessage::nameOf(wire));
        wire.headers.push_back({"x-message-name", FieldValue::ofString("order.shipped")});
        CPPUNIT_ASSERT_EQUAL(std::string("order.shipped"), *PreparedMessage::nameOf(wire));
    }

    void testNothingValidOnTheWireGivesNoIdentity() {
        WireMessage wire;
        wire.headers.push_back({"x-message-name", FieldValue::ofString("Not A Name")});
        wire.properties.type = "App\\Message\\OrderPlaced";
        wire.properties.messageId = "42";
        CPPUNIT_ASSERT(!PreparedMessage::nameOf(wire));
        CPPUNIT_ASSERT(!PreparedMessage::idOf(wire));
        InboxItem item(&wire);
        PreparedMessage p;
        p.item = &item;
        CPPUNIT_ASSERT(!p.id());
        CPPUNIT_ASSERT(!p.name());
    }

    void testDecodedMessageIdentityWins() {
        WireMessage wire;
        wire.headers.push_back({"x-message-id", FieldValue::ofString(headerId)});
        wire.headers.push_back({"x-message-name", FieldValue::ofString("order.placed")});
        InboxItem item(&wire);
        PreparedMessage p;
        p.item = &item;
        p.message.emplace("order.shipped", "{}");
        p.message->setId(Id::parse(propertyId));
        CPPUNIT_ASSERT(p.id() == Id::parse(propertyId));
        CPPUNIT_ASSERT_EQUAL(std::string("order.shipped"), *p.name());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PreparedMessageTest);
