// The FieldKind traits table: the one place that says what each AMQP field kind is.
#include <msgbus/FieldKind.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <set>
#include <string>

using msgbus::FieldCategory;
using msgbus::FieldKind;
using msgbus::fieldKinds;
using msgbus::FieldKindTraits;
using msgbus::findFieldKind;
using msgbus::findFieldKindByte;

namespace {

const FieldKindTraits& traitsOf(FieldKind kind) {
    const FieldKindTraits* traits = findFieldKind(kind);
    CPPUNIT_ASSERT(traits != nullptr);
    return *traits;
}

// RabbitMQ's tags (rabbit_binary_generator), which rabbitmq-c shares.
const std::string rabbitTags = "tbBsuIilLfdDSxTAFV";

} // namespace

class FieldKindTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FieldKindTest);
    CPPUNIT_TEST(testTableListsEveryRabbitMqTagOnce);
    CPPUNIT_TEST(testEveryKindRoundTripsThroughItsByte);
    CPPUNIT_TEST(testBytesThatAreNoTagHaveNoKind);
    CPPUNIT_TEST(testAValueThatIsNoEnumeratorHasNoTraits);
    CPPUNIT_TEST(testEveryKindHasItsDocumentedName);
    CPPUNIT_TEST(testCategories);
    CPPUNIT_TEST(testIntegerRangesMatchTheWireWidths);
    CPPUNIT_TEST(testWireSizesMatchTheAmqpEncoding);
    CPPUNIT_TEST(testOnlyUInt64KeepsUint64Bits);
    CPPUNIT_TEST(testFitsFieldKindAtTheBoundaries);
    CPPUNIT_TEST(testDescribeFieldKindNamesKindAndTag);
    CPPUNIT_TEST(testLookupsWorkAtCompileTime);
    CPPUNIT_TEST_SUITE_END();

public:
    void testTableListsEveryRabbitMqTagOnce() {
        std::string tags;
        for (const auto& traits : fieldKinds)
            tags += traits.byte;
        CPPUNIT_ASSERT_EQUAL(rabbitTags, tags);
    }

    void testEveryKindRoundTripsThroughItsByte() {
        for (const auto& traits : fieldKinds) {
            CPPUNIT_ASSERT_EQUAL(traits.byte, msgbus::fieldKindByte(traits.kind));
            CPPUNIT_ASSERT(findFieldKindByte(traits.byte) == &traits);
            CPPUNIT_ASSERT(findFieldKind(traits.kind) == &traits);
            CPPUNIT_ASSERT(findFieldKind(static_cast<FieldKind>(traits.byte)) == &traits);
        }
    }

    void testBytesThatAreNoTagHaveNoKind() {
        for (int b = -128; b < 128; ++b) {
            char byte = static_cast<char>(b);
            bool isTag = byte != '\0' && rabbitTags.find(byte) != std::string::npos;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(b), isTag,
                                         findFieldKindByte(byte) != nullptr);
        }
    }

    void testAValueThatIsNoEnumeratorHasNoTraits() {
        CPPUNIT_ASSERT(findFieldKind(static_cast<FieldKind>('?')) == nullptr);
        CPPUNIT_ASSERT(findFieldKind(static_cast<FieldKind>(0)) == nullptr);
        CPPUNIT_ASSERT_EQUAL('?', msgbus::fieldKindByte(static_cast<FieldKind>('?')));
    }

    void testEveryKindHasItsDocumentedName() {
        const std::pair<FieldKind, const char*> names[] = {
            {FieldKind::Boolean, "boolean"},     {FieldKind::Int8, "int8"},
            {FieldKind::UInt8, "uint8"},         {FieldKind::Int16, "int16"},
            {FieldKind::UInt16, "uint16"},       {FieldKind::Int32, "int32"},
            {FieldKind::UInt32, "uint32"},       {FieldKind::Int64, "int64"},
            {FieldKind::UInt64, "uint64"},       {FieldKind::Float, "float"},
            {FieldKind::Double, "double"},       {FieldKind::Decimal, "decimal"},
            {FieldKind::String, "string"},       {FieldKind::Bytes, "byte array"},
            {FieldKind::Timestamp, "timestamp"}, {FieldKind::Array, "array"},
            {FieldKind::Table, "table"},         {FieldKind::Void, "void"}};
        std::set<std::string_view> seen;
        for (const auto& [kind, name] : names) {
            CPPUNIT_ASSERT_EQUAL(std::string(name), std::string(traitsOf(kind).name));
            CPPUNIT_ASSERT(seen.insert(traitsOf(kind).name).second);
        }
        CPPUNIT_ASSERT_EQUAL(fieldKinds.size(), seen.size());
    }

    void testCategories() {
        const std::pair<const char*, FieldCategory> categories[] = {
            {"bBsuIilL", FieldCategory::Integer}, {"t", FieldCategory::Boolean},
            {"T", FieldCategory::Timestamp},      {"fd", FieldCategory::Real},
            {"D", FieldCategory::Decimal},        {"S", FieldCategory::String},
            {"x", FieldCategory::Bytes},          {"A", FieldCategory::Array},
            {"F", FieldCategory::Table},          {"V", FieldCategory::Void}};
        std::size_t checked = 0;
        for (const auto& [tags, category] : categories) {
            for (char tag : std::string(tags)) {
                CPPUNIT_ASSERT_MESSAGE(std::string(1, tag),
                                       findFieldKindByte(tag)->category == category);
                ++checked;
            }
        }
        CPPUNIT_ASSERT_EQUAL(fieldKinds.size(), checked);
    }

    void testIntegerRangesMatchTheWireWidths() {
        auto range = [](FieldKind kind) {
            return std::pair(traitsOf(kind).min, traitsOf(kind).max);
        };
        using R = std::pair<std::int64_t, std::int64_t>;
        CPPUNIT_ASSERT(range(FieldKind::Int8) == R(INT8_MIN, INT8_MAX));
        CPPUNIT_ASSERT(range(FieldKind::UInt8) == R(0, UINT8_MAX));
        CPPUNIT_ASSERT(range(FieldKind::Int16) == R(INT16_MIN, INT16_MAX));
        CPPUNIT_ASSERT(range(FieldKind::UInt16) == R(0, UINT16_MAX));
        CPPUNIT_ASSERT(range(FieldKind::Int32) == R(INT32_MIN, INT32_MAX));
        CPPUNIT_ASSERT(range(FieldKind::UInt32) == R(0, UINT32_MAX));
        CPPUNIT_ASSERT(range(FieldKind::Int64) == R(INT64_MIN, INT64_MAX));
        CPPUNIT_ASSERT(range(FieldKind::UInt64) == R(INT64_MIN, INT64_MAX));
        CPPUNIT_ASSERT(range(FieldKind::Timestamp) == R(INT64_MIN, INT64_MAX));
        CPPUNIT_ASSERT(range(FieldKind::Decimal) == R(0, UINT32_MAX));
    }

    void testWireSizesMatchTheAmqpEncoding() {
        const std::pair<char, int> sizes[] = {{'t', 1}, {'b', 1}, {'B', 1}, {'s', 2}, {'u', 2},
                                              {'I', 4}, {'i', 4}, {'l', 8}, {'L', 8}, {'f', 4},
                                              {'d', 8}, {'D', 5}, {'S', 4}, {'x', 4}, {'T', 8},
                                              {'A', 4}, {'F', 4}, {'V', 0}};
        for (const auto& [tag, size] : sizes)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(1, tag), size,
                                         int(findFieldKindByte(tag)->wireSize));
    }

    void testOnlyUInt64KeepsUint64Bits() {
        for (const auto& traits : fieldKinds)
            CPPUNIT_ASSERT_EQUAL(traits.kind == FieldKind::UInt64, traits.uint64Bits);
    }

    void testFitsFieldKindAtTheBoundaries() {
        const auto& i8 = traitsOf(FieldKind::Int8);
        CPPUNIT_ASSERT(msgbus::fitsFieldKind(i8, -128));
        CPPUNIT_ASSERT(msgbus::fitsFieldKind(i8, 127));
        CPPUNIT_ASSERT(!msgbus::fitsFieldKind(i8, -129));
        CPPUNIT_ASSERT(!msgbus::fitsFieldKind(i8, 128));
        const auto& u32 = traitsOf(FieldKind::UInt32);
        CPPUNIT_ASSERT(msgbus::fitsFieldKind(u32, 0));
        CPPUNIT_ASSERT(msgbus::fitsFieldKind(u32, 4294967295LL));
        CPPUNIT_ASSERT(!msgbus::fitsFieldKind(u32, -1));
        CPPUNIT_ASSERT(!msgbus::fitsFieldKind(u32, 4294967296LL));
        const auto& decimal = traitsOf(FieldKind::Decimal);
        CPPUNIT_ASSERT(!msgbus::fitsFieldKind(decimal, -1));
        CPPUNIT_ASSERT(msgbus::fitsFieldKind(decimal, 4294967295LL));
        for (FieldKind wide : {FieldKind::Int64, FieldKind::UInt64, FieldKind::Timestamp}) {
            CPPUNIT_ASSERT(msgbus::fitsFieldKind(traitsOf(wide), INT64_MIN));
            CPPUNIT_ASSERT(msgbus::fitsFieldKind(traitsOf(wide), INT64_MAX));
        }
    }

    void testDescribeFieldKindNamesKindAndTag() {
        CPPUNIT_ASSERT_EQUAL(std::string("int32 (AMQP type 'I')"),
                             msgbus::describeFieldKind(FieldKind::Int32));
        CPPUNIT_ASSERT_EQUAL(std::string("byte array (AMQP type 'x')"),
                             msgbus::describeFieldKind(FieldKind::Bytes));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown type (AMQP type '?')"),
                             msgbus::describeFieldKind(static_cast<FieldKind>('?')));
        for (const auto& traits : fieldKinds)
            CPPUNIT_ASSERT_EQUAL(std::string(traits.name) + " (AMQP type '" + traits.byte + "')",
                                 msgbus::describeFieldKind(traits.kind));
    }

    void testLookupsWorkAtCompileTime() {
        static_assert(findFieldKindByte('I')->kind == FieldKind::Int32);
        static_assert(findFieldKind(FieldKind::Decimal)->wireSize == 5);
        static_assert(findFieldKindByte('Z') == nullptr);
        static_assert(msgbus::fitsFieldKind(*findFieldKind(FieldKind::UInt16), 65535));
        CPPUNIT_ASSERT(true);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FieldKindTest);
