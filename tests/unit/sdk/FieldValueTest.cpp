#include <msgbus/Error.h>
#include <msgbus/FieldValue.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <cstring>
#include <string>

using msgbus::FieldKind;
using msgbus::FieldTable;
using msgbus::FieldValue;

namespace {

const FieldKind integerKinds[] = {FieldKind::Int8,   FieldKind::UInt8,  FieldKind::Int16,
                                  FieldKind::UInt16, FieldKind::Int32,  FieldKind::UInt32,
                                  FieldKind::Int64,  FieldKind::UInt64, FieldKind::Timestamp};

char byteOf(FieldKind kind) {
    return msgbus::fieldKindByte(kind);
}

} // namespace

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
    CPPUNIT_TEST(testKindIsOneByteHoldingTheWireTag);
    CPPUNIT_TEST(testIsIntegerFollowsTheKindsCategory);
    CPPUNIT_TEST(testIsStringOnlyForString);
    CPPUNIT_TEST(testAKindThatIsNoEnumeratorIsNeitherIntegerNorString);
    CPPUNIT_TEST(testWireTagFormsOfSdkAbi1StillWork);
    CPPUNIT_TEST(testEqualityComparesKindAndValue);
    CPPUNIT_TEST_SUITE_END();

public:
    void testOfIntegerKeepsKindAndValue() {
        for (FieldKind kind : integerKinds) {
            FieldValue v = FieldValue::ofInteger(kind, -42);
            CPPUNIT_ASSERT_EQUAL(byteOf(kind), byteOf(v.kind));
            CPPUNIT_ASSERT_EQUAL(std::int64_t(-42), v.integer);
            CPPUNIT_ASSERT_EQUAL(kind != FieldKind::Timestamp, v.isInteger());
        }
        FieldValue max =
            FieldValue::ofInteger(FieldKind::UInt64, static_cast<std::int64_t>(UINT64_MAX));
        CPPUNIT_ASSERT_EQUAL(UINT64_MAX, static_cast<std::uint64_t>(max.integer));
    }

    void testOfIntegerRejectsNonIntegerKinds() {
        for (FieldKind kind :
             {FieldKind::Boolean, FieldKind::Float, FieldKind::Double, FieldKind::Decimal,
              FieldKind::String, FieldKind::Bytes, FieldKind::Array, FieldKind::Table,
              FieldKind::Void, static_cast<FieldKind>('z')})
            CPPUNIT_ASSERT_THROW(FieldValue::ofInteger(kind, 1), msgbus::InvalidArgument);
    }

    void testOfRealKeepsKindAndValue() {
        FieldValue f = FieldValue::ofReal(FieldKind::Float, 0.5);
        CPPUNIT_ASSERT(FieldKind::Float == f.kind);
        CPPUNIT_ASSERT_EQUAL(0.5, f.real);
        FieldValue d = FieldValue::ofReal(FieldKind::Double, 1.0 / 3.0);
        CPPUNIT_ASSERT(FieldKind::Double == d.kind);
        CPPUNIT_ASSERT_EQUAL(1.0 / 3.0, d.real);
    }

    void testOfRealRejectsOtherKinds() {
        for (FieldKind kind : {FieldKind::Int64, FieldKind::Int32, FieldKind::Decimal,
                               FieldKind::String, FieldKind::Void, static_cast<FieldKind>('z')})
            CPPUNIT_ASSERT_THROW(FieldValue::ofReal(kind, 1.0), msgbus::InvalidArgument);
    }

    void testOfDecimal() {
        FieldValue v = FieldValue::ofDecimal(3, 4294967295LL);
        CPPUNIT_ASSERT(FieldKind::Decimal == v.kind);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(3), v.decimals);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(4294967295LL), v.integer);
    }

    void testOfArrayAndOfTableNest() {
        FieldValue inner = FieldValue::ofTable({{"k", FieldValue::ofString("v")}});
        FieldValue array = FieldValue::ofArray({FieldValue::ofBool(true), inner});
        CPPUNIT_ASSERT(FieldKind::Array == array.kind);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), array.array.size());
        CPPUNIT_ASSERT(array.array[1] == inner);
        CPPUNIT_ASSERT(FieldKind::Table == inner.kind);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), inner.table.size());
        CPPUNIT_ASSERT_EQUAL(std::string("k"), inner.table[0].key);
        CPPUNIT_ASSERT(FieldValue::ofArray({}).array.empty());
        CPPUNIT_ASSERT(FieldKind::Table == FieldValue::ofTable(FieldTable{}).kind);
    }

    void testOfVoidIsTheDefault() {
        CPPUNIT_ASSERT(FieldKind::Void == FieldValue::ofVoid().kind);
        CPPUNIT_ASSERT(FieldValue::ofVoid() == FieldValue{});
    }

    void testNamedFactoriesMatchOfInteger() {
        CPPUNIT_ASSERT(FieldValue::ofInt64(-7) == FieldValue::ofInteger(FieldKind::Int64, -7));
        CPPUNIT_ASSERT(FieldValue::ofInt32(-7) == FieldValue::ofInteger(FieldKind::Int32, -7));
        CPPUNIT_ASSERT(FieldValue::ofTimestamp(1700000000) ==
                       FieldValue::ofInteger(FieldKind::Timestamp, 1700000000));
        CPPUNIT_ASSERT(FieldKind::String == FieldValue::ofString("s").kind);
        CPPUNIT_ASSERT(FieldKind::Bytes == FieldValue::ofBytes("s").kind);
        CPPUNIT_ASSERT(FieldKind::Boolean == FieldValue::ofBool(false).kind);
    }

    // Plugins built against SDK ABI 1 read FieldValue::kind as a char holding the wire tag: the
    // layout and the byte must not have changed.
    void testKindIsOneByteHoldingTheWireTag() {
        static_assert(sizeof(FieldKind) == sizeof(char));
        FieldValue v = FieldValue::ofInt32(1);
        char raw = 0;
        std::memcpy(&raw, &v.kind, 1);
        CPPUNIT_ASSERT_EQUAL('I', raw);
        CPPUNIT_ASSERT_EQUAL('V', byteOf(FieldValue{}.kind));
    }

    void testIsIntegerFollowsTheKindsCategory() {
        for (const auto& traits : msgbus::fieldKinds) {
            FieldValue v;
            v.kind = traits.kind;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(traits.name),
                                         traits.category == msgbus::FieldCategory::Integer,
                                         v.isInteger());
        }
    }

    void testIsStringOnlyForString() {
        for (const auto& traits : msgbus::fieldKinds) {
            FieldValue v;
            v.kind = traits.kind;
            CPPUNIT_ASSERT_EQUAL(traits.kind == FieldKind::String, v.isString());
        }
    }

    void testAKindThatIsNoEnumeratorIsNeitherIntegerNorString() {
        FieldValue v = FieldValue::ofInt64(1);
        v.kind = static_cast<FieldKind>('?');
        CPPUNIT_ASSERT(!v.isInteger());
        CPPUNIT_ASSERT(!v.isString());
    }

    void testWireTagFormsOfSdkAbi1StillWork() {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        CPPUNIT_ASSERT(FieldValue::ofInteger('b', -5) ==
                       FieldValue::ofInteger(FieldKind::Int8, -5));
        CPPUNIT_ASSERT(FieldValue::ofReal('d', 0.25) ==
                       FieldValue::ofReal(FieldKind::Double, 0.25));
        CPPUNIT_ASSERT_THROW(FieldValue::ofInteger('z', 1), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_THROW(FieldValue::ofReal('S', 1.0), msgbus::InvalidArgument);
#pragma GCC diagnostic pop
    }

    void testEqualityComparesKindAndValue() {
        CPPUNIT_ASSERT(!(FieldValue::ofInteger(FieldKind::Int8, 1) ==
                         FieldValue::ofInteger(FieldKind::UInt8, 1)));
        CPPUNIT_ASSERT(!(FieldValue::ofString("a") == FieldValue::ofBytes("a")));
        CPPUNIT_ASSERT(!(FieldValue::ofReal(FieldKind::Float, 1.0) ==
                         FieldValue::ofReal(FieldKind::Double, 1.0)));
        CPPUNIT_ASSERT(FieldValue::ofString("a") == FieldValue::ofString("a"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FieldValueTest);
