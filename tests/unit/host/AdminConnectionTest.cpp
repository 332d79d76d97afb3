// When the admin endpoint hands a connection to the HTTP parser: only once the whole request
// head is buffered, so the parser never waits on a slow client.
#include "core/host/AdminConnection.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::requestHeadComplete;

class AdminConnectionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AdminConnectionTest);
    CPPUNIT_TEST(testHeadEndedByAnEmptyLineIsComplete);
    CPPUNIT_TEST(testBareLineFeedsEndAHeadAsPocosParserAccepts);
    CPPUNIT_TEST(testHeadWithoutItsEmptyLineIsIncomplete);
    CPPUNIT_TEST_SUITE_END();

public:
    void testHeadEndedByAnEmptyLineIsComplete() {
        CPPUNIT_ASSERT(requestHeadComplete("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n"));
        CPPUNIT_ASSERT(requestHeadComplete("GET /ready HTTP/1.0\r\n\r\n"));
        // A body (or a pipelined request) after the head does not matter.
        CPPUNIT_ASSERT(requestHeadComplete("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"));
    }

    void testBareLineFeedsEndAHeadAsPocosParserAccepts() {
        CPPUNIT_ASSERT(requestHeadComplete("GET /health HTTP/1.0\n\n"));
        CPPUNIT_ASSERT(requestHeadComplete("GET /health HTTP/1.0\nHost: x\n\r\n"));
    }

    void testHeadWithoutItsEmptyLineIsIncomplete() {
        CPPUNIT_ASSERT(!requestHeadComplete(""));
        CPPUNIT_ASSERT(!requestHeadComplete("GET /ready HT"));
        CPPUNIT_ASSERT(!requestHeadComplete("GET /ready HTTP/1.1\r\n"));
        CPPUNIT_ASSERT(!requestHeadComplete("GET /ready HTTP/1.1\r\nHost: x\r\n"));
        CPPUNIT_ASSERT(!requestHeadComplete("GET /ready HTTP/1.1\r\nHost: x\r\n\r"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AdminConnectionTest);
