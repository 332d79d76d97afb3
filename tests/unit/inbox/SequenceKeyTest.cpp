// The form a partition key is kept in by the parking tables of ordered consumers.
#include "core/inbox/SequenceStore.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus::core;

class SequenceKeyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SequenceKeyTest);
    CPPUNIT_TEST(testAShortUtf8KeyIsKeptAsItIs);
    CPPUNIT_TEST(testALongKeyBecomesItsHashAndStaysDistinct);
    CPPUNIT_TEST(testInvalidUtf8AndNulBecomeTheirHash);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAShortUtf8KeyIsKeptAsItIs() {
        CPPUNIT_ASSERT_EQUAL(std::string("order-42"), SequenceStore::keyOf("order-42"));
        CPPUNIT_ASSERT_EQUAL(std::string("Zürich"), SequenceStore::keyOf("Zürich"));
        const std::string exactly255(255, 'k');
        CPPUNIT_ASSERT_EQUAL(exactly255, SequenceStore::keyOf(exactly255));
    }

    void testALongKeyBecomesItsHashAndStaysDistinct() {
        const std::string a(256, 'a');
        std::string b = a;
        b.back() = 'b';
        const std::string keyA = SequenceStore::keyOf(a);
        CPPUNIT_ASSERT_EQUAL(std::string("sha256:"), keyA.substr(0, 7));
        CPPUNIT_ASSERT_EQUAL(std::size_t(7 + 64), keyA.size());
        CPPUNIT_ASSERT_EQUAL(keyA, SequenceStore::keyOf(a));
        CPPUNIT_ASSERT(keyA != SequenceStore::keyOf(b));
    }

    void testInvalidUtf8AndNulBecomeTheirHash() {
        CPPUNIT_ASSERT_EQUAL(std::string("sha256:"),
                             SequenceStore::keyOf(std::string("a\xff")).substr(0, 7));
        CPPUNIT_ASSERT_EQUAL(std::string("sha256:"),
                             SequenceStore::keyOf(std::string("a\0b", 3)).substr(0, 7));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SequenceKeyTest);
