// FieldValueCheck: what every writer of field values refuses, and the header path its errors
// name.
#include "core/util/FieldValueCheck.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>

using msgbus::FieldCategory;
using msgbus::FieldKind;
using msgbus::fieldKinds;
using msgbus::FieldValue;
using msgbus::core::elementPath;
using msgbus::core::entryPath;
using msgbus::core::requireInRange;
using msgbus::core::requireKnownKind;

namespace {

std::string refusal(const FieldValue& value, const std::string& path) {
    try {
        requireInRange(value, requireKnownKind(value, path), path);
    } catch (const msgbus::InvalidArgument& e) {
        return e.what();
    }
    return "(accepted)";
}

FieldValue integer(FieldKind kind, std::int64_t value) {
    FieldValue v;
    v.kind = kind;
    v.integer = value;
    return v;
}

} // namespace

class FieldValueCheckTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FieldValueCheckTest);
    CPPUNIT_TEST(testEveryKnownKindHasItsTraits);
    CPPUNIT_TEST(testUnknownKindIsRefusedNamingThePathAndTheTag);
    CPPUNIT_TEST(testEveryRangedKindAcceptsItsBounds);
    CPPUNIT_TEST(testEveryRangedKindRefusesJustOutsideItsBounds);
    CPPUNIT_TEST(testInt8OutOfRangeNamesValueKindAndRange);
    CPPUNIT_TEST(testNegativeDecimalIsRefused);
    CPPUNIT_TEST(testUInt64AcceptsEveryBitPattern);
    CPPUNIT_TEST(testUncheckedConstructorLeavesTheRefusalToTheCheck);
    CPPUNIT_TEST(testEntryPathQuotesTheKey);
    CPPUNIT_TEST(testElementPathIndexes);
    CPPUNIT_TEST(testNestedPathReadsOuterToInner);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryKnownKindHasItsTraits() {
        for (const auto& traits : fieldKinds) {
            FieldValue v;
            v.kind = traits.kind;
            const auto& found = requireKnownKind(v, "header 'x'");
            CPPUNIT_ASSERT_EQUAL(&traits, &found);
        }
    }

    void testUnknownKindIsRefusedNamingThePathAndTheTag() {
        FieldValue v;
        v.kind = static_cast<FieldKind>('?');
        CPPUNIT_ASSERT_EQUAL(std::string("header 'x-retry' 'inner': unknown AMQP field kind '?'"),
                             refusal(v, "header 'x-retry' 'inner'"));
    }

    void testEveryRangedKindAcceptsItsBounds() {
        for (const auto& traits : fieldKinds) {
            if (traits.category != FieldCategory::Integer &&
                traits.category != FieldCategory::Timestamp &&
                traits.category != FieldCategory::Decimal)
                continue;
            const std::string name(traits.name);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string("(accepted)"),
                                         refusal(integer(traits.kind, traits.min), "h"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string("(accepted)"),
                                         refusal(integer(traits.kind, traits.max), "h"));
        }
    }

    void testEveryRangedKindRefusesJustOutsideItsBounds() {
        int checked = 0;
        for (const auto& traits : fieldKinds) {
            if (traits.category != FieldCategory::Integer &&
                traits.category != FieldCategory::Decimal)
                continue;
            const std::string name(traits.name);
            if (traits.min > INT64_MIN) {
                CPPUNIT_ASSERT_MESSAGE(name, refusal(integer(traits.kind, traits.min - 1), "h") !=
                                                 "(accepted)");
                ++checked;
            }
            if (traits.max < INT64_MAX) {
                CPPUNIT_ASSERT_MESSAGE(name, refusal(integer(traits.kind, traits.max + 1), "h") !=
                                                 "(accepted)");
                ++checked;
            }
        }
        // int8, uint8, int16, uint16, int32, uint32 and decimal, both ends each.
        CPPUNIT_ASSERT_EQUAL(14, checked);
    }

    void testInt8OutOfRangeNamesValueKindAndRange() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("header 'level': value 300 does not fit AMQP field kind 'b' (-128..127)"),
            refusal(integer(FieldKind::Int8, 300), "header 'level'"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("header 'n': value -1 does not fit AMQP field kind 'i' (0..4294967295)"),
            refusal(integer(FieldKind::UInt32, -1), "header 'n'"));
    }

    void testNegativeDecimalIsRefused() {
        // A decimal's value is an unsigned 32-bit number on the wire.
        FieldValue price = FieldValue::ofDecimal(2, -1);
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "header 'price': value -1 does not fit AMQP field kind 'D' (0..4294967295)"),
            refusal(price, "header 'price'"));
    }

    void testUInt64AcceptsEveryBitPattern() {
        for (std::int64_t bits : {INT64_MIN, std::int64_t(-1), std::int64_t(0), INT64_MAX})
            CPPUNIT_ASSERT_EQUAL(std::string("(accepted)"),
                                 refusal(integer(FieldKind::UInt64, bits), "h"));
    }

    void testUncheckedConstructorLeavesTheRefusalToTheCheck() {
        // FieldValue::ofInteger stores what it is given; the writers refuse it here.
        const FieldValue wide = FieldValue::ofInteger(FieldKind::Int16, 40000);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(40000), wide.integer);
        CPPUNIT_ASSERT_EQUAL(
            std::string("header 'w': value 40000 does not fit AMQP field kind 's' (-32768..32767)"),
            refusal(wide, "header 'w'"));
    }

    void testEntryPathQuotesTheKey() {
        CPPUNIT_ASSERT_EQUAL(std::string("header 'x-death'"), entryPath("header", "x-death"));
        CPPUNIT_ASSERT_EQUAL(std::string("header ''"), entryPath("header", ""));
    }

    void testElementPathIndexes() {
        CPPUNIT_ASSERT_EQUAL(std::string("header 'list'[0]"), elementPath("header 'list'", 0));
        CPPUNIT_ASSERT_EQUAL(std::string("header 'list'[12]"), elementPath("header 'list'", 12));
    }

    void testNestedPathReadsOuterToInner() {
        CPPUNIT_ASSERT_EQUAL(std::string("header 'outer' 'inner'[2]"),
                             elementPath(entryPath(entryPath("header", "outer"), "inner"), 2));
        CPPUNIT_ASSERT_EQUAL(
            std::string("header 'a'[1][0] 'b'"),
            entryPath(elementPath(elementPath(entryPath("header", "a"), 1), 0), "b"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FieldValueCheckTest);
