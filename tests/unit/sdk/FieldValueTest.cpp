#include <msgbus/Error.h>
#include <msgbus/FieldValue.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <string>

using msgbus::FieldTable;
using msgbus::FieldValue;

class FieldValueTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FieldValueTest);
    CPPUNIT_TEST(testOfIntegerKeepsKindAndValue);
    CPPUNIT_TEST(testOfIntegerRejectsNonIntegerKinds);
    CPPUNIT_TEST(testOfRealKeepsKindAndValue);
    CPPUNIT_TEST(testOfRealRejectsOtherKinds);
    CPPUNIT_TEST(testOfDecimal);
    CPPUNIT_TEST(testOfArrayAndOfTableNest);
    CPPUNIT_TEST(testOfVoidIsTheDefault);
    CPPUNIT_TEST(testNamedFactoriesMatchOfInteger);
    CPPUNIT_TEST_SUITE_END();

public:
    void testOfIntegerKeepsKindAndValue() {
        for (char kind : std::string("bBsuIilLT")) {
            FieldValue v = FieldValue::ofInteger(kind, -42);
            CPPUNIT_ASSERT_EQUAL(kind, v.kind);
            CPPUNIT_ASSERT_EQUAL(std::int64_t(-42), v.integer);
            CPPUNIT_ASSERT_EQUAL(kind != 'T', v.isInteger());
        }
        FieldValue max = FieldValue::ofInteger('L', static_cast<std::int64_t>(UINT64_MAX));
        CPPUNIT_ASSERT_EQUAL(UINT64_MAX, static_cast<std::uint64_t>(max.integer));
    }

    void testOfIntegerRejectsNonIntegerKinds() {
        for (char kind : std::string("tfdDSxAFVz"))
            CPPUNIT_ASSERT_THROW(FieldValue::ofInteger(kind, 1), msgbus::InvalidArgument);
    }

    void testOfRealKeepsKindAndValue() {
        FieldValue f = FieldValue::ofReal('f', 0.5);
        CPPUNIT_ASSERT_EQUAL('f', f.kind);
        CPPUNIT_ASSERT_EQUAL(0.5, f.real);
        FieldValue d = FieldValue::ofReal('d', 1.0 / 3.0);
        CPPUNIT_ASSERT_EQUAL('d', d.kind);
        CPPUNIT_ASSERT_EQUAL(1.0 / 3.0, d.real);
    }

    void testOfRealRejectsOtherKinds() {
        for (char kind : std::string("lIDSV"))
            CPPUNIT_ASSERT_THROW(FieldValue::ofReal(kind, 1.0), msgbus::InvalidArgument);
    }

    void testOfDecimal() {
        FieldValue v = FieldValue::ofDecimal(3, 4294967295LL);
        CPPUNIT_ASSERT_EQUAL('D', v.kind);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(3), v.decimals);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(4294967295LL), v.integer);
    }

    void testOfArrayAndOfTableNest() {
        FieldValue inner = FieldValue::ofTable({{"k", FieldValue::ofString("v")}});
        FieldValue array = FieldValue::ofArray({FieldValue::ofBool(true), inner});
        CPPUNIT_ASSERT_EQUAL('A', array.kind);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), array.array.size());
        CPPUNIT_ASSERT(array.array[1] == inner);
        CPPUNIT_ASSERT_EQUAL('F', inner.kind);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), inner.table.size());
        CPPUNIT_ASSERT_EQUAL(std::string("k"), inner.table[0].key);
        CPPUNIT_ASSERT(FieldValue::ofArray({}).array.empty());
        CPPUNIT_ASSERT_EQUAL('F', FieldValue::ofTable(FieldTable{}).kind);
    }

    void testOfVoidIsTheDefault() {
        CPPUNIT_ASSERT_EQUAL('V', FieldValue::ofVoid().kind);
        CPPUNIT_ASSERT(FieldValue::ofVoid() == FieldValue{});
    }

    void testNamedFactoriesMatchOfInteger() {
        CPPUNIT_ASSERT(FieldValue::ofInt64(-7) == FieldValue::ofInteger('l', -7));
        CPPUNIT_ASSERT(FieldValue::ofInt32(-7) == FieldValue::ofInteger('I', -7));
        CPPUNIT_ASSERT(FieldValue::ofTimestamp(1700000000) ==
                       FieldValue::ofInteger('T', 1700000000));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FieldValueTest);
