// Message: the id a message has only once it was written to the outbox (or decoded), and the
// error that asking for it earlier raises.
#include <msgbus/Error.h>
#include <msgbus/Message.h>

#include <cppunit/extensions/HelperMacros.h>

#include <string>

class MessageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MessageTest);
    CPPUNIT_TEST(testNewMessageHasNoId);
    CPPUNIT_TEST(testIdWithoutIdThrowsMissingIdNamingTheMessage);
    CPPUNIT_TEST(testIdOnceSetIsReturned);
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(MessageTest);
