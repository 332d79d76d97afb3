// Error.h: every exception the SDK throws derives from msgbus::Error, so a plugin or a producer
// can catch the SDK's errors apart from everything else with one catch clause.
#include <msgbus/Error.h>
#include <msgbus/FieldValue.h>
#include <msgbus/Id.h>
#include <msgbus/Message.h>
#include <msgbus/MessageName.h>
#include <msgbus/OutboxWriter.h>

#include <cppunit/extensions/HelperMacros.h>

#include <functional>
#include <string>
#include <type_traits>

static_assert(std::is_base_of_v<std::runtime_error, msgbus::Error>);
static_assert(std::is_base_of_v<msgbus::Error, msgbus::InvalidArgument>);
static_assert(std::is_base_of_v<msgbus::Error, msgbus::MissingId>);
static_assert(std::is_base_of_v<msgbus::Error, msgbus::MalformedMessage>);
// The host fails a delivery for good on MalformedMessage or InvalidArgument from decode(); a
// MissingId must stay a transient failure, as the std::logic_error it replaces was.
static_assert(!std::is_base_of_v<msgbus::InvalidArgument, msgbus::MissingId>);
static_assert(!std::is_base_of_v<msgbus::MalformedMessage, msgbus::MissingId>);

namespace {

// The text of the msgbus::Error call throws; fails when it throws nothing or something else.
std::string errorOf(const std::function<void()>& call) {
    try {
        call();
    } catch (const msgbus::Error& e) {
        return e.what();
    } catch (const std::exception& e) {
        CPPUNIT_FAIL(std::string("threw an exception outside msgbus::Error: ") + e.what());
    }
    CPPUNIT_FAIL("threw nothing");
    return {};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

class ErrorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ErrorTest);
    CPPUNIT_TEST(testMissingIdIsAnError);
    CPPUNIT_TEST(testBadIdIsAnError);
    CPPUNIT_TEST(testBadMessageNameIsAnError);
    CPPUNIT_TEST(testFieldValueOfWrongKindIsAnError);
    CPPUNIT_TEST(testMessageTheOutboxRefusesIsAnError);
    CPPUNIT_TEST(testMalformedMessageNamesItsField);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMissingIdIsAnError() {
        const msgbus::Message message("order.placed", "{}");
        CPPUNIT_ASSERT(contains(errorOf([&] { (void)message.id(); }), "has no id"));
    }

    void testBadIdIsAnError() {
        CPPUNIT_ASSERT(
            contains(errorOf([] { (void)msgbus::Id::parse("not-an-id"); }), "invalid message id"));
    }

    void testBadMessageNameIsAnError() {
        CPPUNIT_ASSERT(contains(errorOf([] { msgbus::validateMessageName("no spaces"); }),
                                "invalid message name"));
    }

    void testFieldValueOfWrongKindIsAnError() {
        const auto call = [] { (void)msgbus::FieldValue::ofInteger(msgbus::FieldKind::String, 1); };
        CPPUNIT_ASSERT(contains(errorOf(call), "is not"));
    }

    void testMessageTheOutboxRefusesIsAnError() {
        const msgbus::Message message("order.placed", "[1, 2]");
        CPPUNIT_ASSERT(contains(errorOf([&] { msgbus::OutboxWriter::validate(message, 1024); }),
                                "order.placed"));
    }

    void testMalformedMessageNamesItsField() {
        const msgbus::MalformedMessage error("header x-message-id", "missing");
        const msgbus::Error& asError = error;
        CPPUNIT_ASSERT_EQUAL(std::string("header x-message-id: missing"),
                             std::string(asError.what()));
        CPPUNIT_ASSERT_EQUAL(std::string("header x-message-id"), error.field());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ErrorTest);
