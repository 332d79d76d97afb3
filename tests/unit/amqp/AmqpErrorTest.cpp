// AmqpError: the one classification callers need (connection lost or not) and the broker's and
// rabbitmq-c's codes, carried next to the message.
#include "core/amqp/AmqpError.h"

#include <cppunit/extensions/HelperMacros.h>

#include <limits>

using msgbus::core::amqp::AmqpError;

class AmqpErrorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AmqpErrorTest);
    CPPUNIT_TEST(testCodesDefaultToZeroWhenTheBrokerSentNone);
    CPPUNIT_TEST(testChannelRefusalKeepsTheConnection);
    CPPUNIT_TEST(testConnectionLossCarriesBothCodes);
    CPPUNIT_TEST(testIsCaughtAsAMsgbusErrorWithItsText);
    CPPUNIT_TEST(testLargestReplyCodeIsKept);
    CPPUNIT_TEST_SUITE_END();

public:
    void testCodesDefaultToZeroWhenTheBrokerSentNone() {
        const AmqpError e("127.0.0.1:5672: socket closed", true);
        CPPUNIT_ASSERT(e.connectionLost());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(0), e.replyCode());
        CPPUNIT_ASSERT_EQUAL(0, e.libraryStatus());
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:5672: socket closed"), std::string(e.what()));
    }

    void testChannelRefusalKeepsTheConnection() {
        const AmqpError e("exchange.declare 'x': 404 NOT_FOUND - no exchange 'x' in vhost '/'",
                          false, 404);
        CPPUNIT_ASSERT(!e.connectionLost());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(404), e.replyCode());
        CPPUNIT_ASSERT_EQUAL(0, e.libraryStatus());
    }

    void testConnectionLossCarriesBothCodes() {
        // 320 CONNECTION_FORCED comes with the library's "connection closed" status.
        const AmqpError e("connection.close: 320 CONNECTION_FORCED", true, 320, -0x0101);
        CPPUNIT_ASSERT(e.connectionLost());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(320), e.replyCode());
        CPPUNIT_ASSERT_EQUAL(-0x0101, e.libraryStatus());
    }

    void testIsCaughtAsAMsgbusErrorWithItsText() {
        try {
            throw AmqpError("basic.publish on channel 1: 406 PRECONDITION_FAILED", false, 406);
        } catch (const msgbus::Error& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("basic.publish on channel 1: 406 PRECONDITION_FAILED"),
                                 std::string(e.what()));
            const auto* amqp = dynamic_cast<const AmqpError*>(&e);
            CPPUNIT_ASSERT(amqp);
            CPPUNIT_ASSERT_EQUAL(std::uint16_t(406), amqp->replyCode());
            return;
        }
        CPPUNIT_FAIL("AmqpError was not caught as msgbus::Error");
    }

    void testLargestReplyCodeIsKept() {
        const AmqpError e("odd broker", false, std::numeric_limits<std::uint16_t>::max(),
                          std::numeric_limits<int>::min());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(65535), e.replyCode());
        CPPUNIT_ASSERT_EQUAL(std::numeric_limits<int>::min(), e.libraryStatus());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpErrorTest);
