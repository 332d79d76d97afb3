// errorText / currentErrorText: the whole text of an exception for logs and failed rows, Poco's
// included (its what() is only the class name).
#include "core/util/ErrorText.h"

#include <msgbus/Error.h>

#include <Poco/Exception.h>

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::currentErrorText;
using msgbus::core::errorText;

namespace {

template <typename Throw> std::string caught(Throw thrower) {
    try {
        thrower();
    } catch (...) {
        return currentErrorText();
    }
    return "(nothing thrown)";
}

} // namespace

class ErrorTextTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ErrorTextTest);
    CPPUNIT_TEST(testStandardExceptionIsItsWhat);
    CPPUNIT_TEST(testMsgbusErrorIsItsWhat);
    CPPUNIT_TEST(testPocoExceptionIsItsDisplayText);
    CPPUNIT_TEST(testPocoExceptionWithoutMessageIsItsName);
    CPPUNIT_TEST(testPocoExceptionSeenAsStdExceptionStillShowsItsMessage);
    CPPUNIT_TEST(testCurrentErrorTextOfAStandardException);
    CPPUNIT_TEST(testCurrentErrorTextOfAPocoException);
    CPPUNIT_TEST(testCurrentErrorTextOfSomethingElseSaysSo);
    CPPUNIT_TEST_SUITE_END();

public:
    void testStandardExceptionIsItsWhat() {
        CPPUNIT_ASSERT_EQUAL(std::string("disk full"), errorText(std::runtime_error("disk full")));
    }

    void testMsgbusErrorIsItsWhat() {
        CPPUNIT_ASSERT_EQUAL(std::string("header x-message-id: missing"),
                             errorText(msgbus::MalformedMessage("header x-message-id", "missing")));
    }

    void testPocoExceptionIsItsDisplayText() {
        const Poco::NotFoundException e("table msgbus_outbox");
        CPPUNIT_ASSERT_EQUAL(std::string("Not found"), std::string(e.what()));
        CPPUNIT_ASSERT_EQUAL(std::string("Not found: table msgbus_outbox"), errorText(e));
    }

    void testPocoExceptionWithoutMessageIsItsName() {
        CPPUNIT_ASSERT_EQUAL(std::string("Timeout"), errorText(Poco::TimeoutException()));
    }

    void testPocoExceptionSeenAsStdExceptionStillShowsItsMessage() {
        const Poco::IOException io("connection reset by peer");
        const std::exception& plain = io;
        CPPUNIT_ASSERT_EQUAL(std::string("I/O error: connection reset by peer"), errorText(plain));
    }

    void testCurrentErrorTextOfAStandardException() {
        CPPUNIT_ASSERT_EQUAL(std::string("vector::at"),
                             caught([] { throw std::out_of_range("vector::at"); }));
    }

    void testCurrentErrorTextOfAPocoException() {
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid argument: port 0"),
                             caught([] { throw Poco::InvalidArgumentException("port 0"); }));
    }

    void testCurrentErrorTextOfSomethingElseSaysSo() {
        const std::string expected =
            "an exception that is not a std::exception (thrown by plugin code?)";
        CPPUNIT_ASSERT_EQUAL(expected, caught([] { throw 42; }));
        CPPUNIT_ASSERT_EQUAL(expected, caught([] { throw "a C string"; }));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ErrorTextTest);
