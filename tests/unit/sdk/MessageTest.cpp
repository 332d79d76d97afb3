// Message: the id a message has only once it was written to the outbox (or decoded), and the
// error that asking for it earlier raises.
#include <msgbus/Error.h>
#include <msgbus/Message.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <string>

class MessageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MessageTest);
    CPPUNIT_TEST(testNewMessageHasNoId);
    CPPUNIT_TEST(testIdWithoutIdThrowsMissingIdNamingTheMessage);
    CPPUNIT_TEST(testIdOnceSetIsReturned);
    CPPUNIT_TEST(testNewMessageIsDueAtOnce);
    CPPUNIT_TEST(testDeliverAtIsKeptToTheMillisecond);
    CPPUNIT_TEST(testDelayCountsFromNow);
    CPPUNIT_TEST(testNegativeDelayIsRefused);
    CPPUNIT_TEST(testMalformedDeliveryTimeHeaderIsRefusedNamingIt);
    CPPUNIT_TEST(testClearDeliverAtSendsAtOnceAgain);
    CPPUNIT_TEST_SUITE_END();

public:
    void testNewMessageHasNoId() {
        const msgbus::Message message("order.placed", "{}");
        CPPUNIT_ASSERT(!message.hasId());
    }

    void testIdWithoutIdThrowsMissingIdNamingTheMessage() {
        const msgbus::Message message("order.placed", "{}");
        try {
            (void)message.id();
        } catch (const msgbus::MissingId& e) {
            const std::string text = e.what();
            CPPUNIT_ASSERT(text.find("'order.placed'") != std::string::npos);
            CPPUNIT_ASSERT(text.find("has no id yet") != std::string::npos);
            return;
        }
        CPPUNIT_FAIL("id() of a message without an id returned");
    }

    void testIdOnceSetIsReturned() {
        msgbus::Message message("order.placed", "{}");
        const msgbus::Id id = msgbus::Id::generate();
        message.setId(id);
        CPPUNIT_ASSERT(message.hasId());
        CPPUNIT_ASSERT(message.id() == id);
    }

    void testNewMessageIsDueAtOnce() {
        const msgbus::Message message("order.placed", "{}");
        CPPUNIT_ASSERT(!message.deliverAt());
    }

    void testDeliverAtIsKeptToTheMillisecond() {
        msgbus::Message message("order.placed", "{}");
        const std::chrono::system_clock::time_point at{std::chrono::milliseconds(1795669200123)};
        message.setDeliverAt(at);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1795669200123), *message.deliverAt());
    }

    void testDelayCountsFromNow() {
        using namespace std::chrono;
        const auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch());
        msgbus::Message message("order.placed", "{}");
        message.setDelay(minutes(10));
        const auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch());
        CPPUNIT_ASSERT(*message.deliverAt() >= (before + minutes(10)).count());
        CPPUNIT_ASSERT(*message.deliverAt() <= (after + minutes(10)).count());
    }

    void testNegativeDelayIsRefused() {
        msgbus::Message message("order.placed", "{}");
        CPPUNIT_ASSERT_THROW(message.setDelay(std::chrono::milliseconds(-1)),
                             msgbus::InvalidArgument);
    }

    void testMalformedDeliveryTimeHeaderIsRefusedNamingIt() {
        msgbus::Message message("order.placed", "{}");
        message.setHeader(msgbus::Message::kDeliverAtHeader, "tomorrow");
        try {
            (void)message.deliverAt();
        } catch (const msgbus::InvalidArgument& e) {
            const std::string text = e.what();
            CPPUNIT_ASSERT(text.find(msgbus::Message::kDeliverAtHeader) != std::string::npos);
            CPPUNIT_ASSERT(text.find("'tomorrow'") != std::string::npos);
            return;
        }
        CPPUNIT_FAIL("a malformed delivery time was read as a time");
    }

    void testClearDeliverAtSendsAtOnceAgain() {
        msgbus::Message message("order.placed", "{}");
        message.setDelay(std::chrono::seconds(5));
        message.clearDeliverAt();
        CPPUNIT_ASSERT(!message.deliverAt());
        CPPUNIT_ASSERT(message.headers().empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MessageTest);
