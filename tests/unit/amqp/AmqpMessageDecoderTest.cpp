// AmqpMessageDecoder on tables built the way rabbitmq-c hands them over, without a broker.
#include "core/amqp/AmqpMessageDecoder.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

using msgbus::core::amqp::AmqpMessageDecoder;

namespace {

amqp_bytes_t bytes(const char* text) {
    return amqp_bytes_t{std::strlen(text), const_cast<char*>(text)};
}

amqp_field_value_t utf8(const char* text) {
    amqp_field_value_t value{};
    value.kind = AMQP_FIELD_KIND_UTF8;
    value.value.bytes = bytes(text);
    return value;
}

} // namespace

class AmqpMessageDecoderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AmqpMessageDecoderTest);
    CPPUNIT_TEST(testRepeatedKeyKeepsItsLastValueOnce);
    CPPUNIT_TEST(testTablesNestedDeeperThanTheLimitAreMalformed);
    CPPUNIT_TEST(testNestingUpToTheLimitIsKept);
    CPPUNIT_TEST(testEveryWireTagDecodesToItsKind);
    CPPUNIT_TEST(testUnknownWireTagIsMalformed);
    CPPUNIT_TEST(testArraysNestedDeeperThanTheLimitAreMalformed);
    CPPUNIT_TEST(testIntegersKeepTheirSignednessPerWidth);
    CPPUNIT_TEST_SUITE_END();

    /// A table nested levels deep: {"n": {"n": ... "bottom"}}; storage lives in the test.
    amqp_table_t nested(int levels) {
        _entries.clear();
        amqp_field_value_t value = utf8("bottom");
        for (int i = 0; i < levels; ++i) {
            _entries.push_back(amqp_table_entry_t{bytes("n"), value});
            value = amqp_field_value_t{};
            value.kind = AMQP_FIELD_KIND_TABLE;
            value.value.table = amqp_table_t{1, &_entries.back()};
        }
        return value.value.table;
    }
    std::deque<amqp_table_entry_t> _entries;

    /// An array nested levels deep: [[...["bottom"]...]]; storage lives in the test.
    amqp_field_value_t nestedArray(int levels) {
        _values.clear();
        amqp_field_value_t value = utf8("bottom");
        for (int i = 0; i < levels; ++i) {
            _values.push_back(value);
            value = amqp_field_value_t{};
            value.kind = AMQP_FIELD_KIND_ARRAY;
            value.value.array = amqp_array_t{1, &_values.back()};
        }
        return value;
    }
    std::deque<amqp_field_value_t> _values;

public:
    void testRepeatedKeyKeepsItsLastValueOnce() {
        std::vector<amqp_table_entry_t> entries{{bytes("x-message-id"), utf8("first")},
                                                {bytes("other"), utf8("o")},
                                                {bytes("x-message-id"), utf8("last")}};
        auto table = AmqpMessageDecoder::decodeTable(
            amqp_table_t{static_cast<int>(entries.size()), entries.data()});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), table.size());
        CPPUNIT_ASSERT_EQUAL(std::string("x-message-id"), table[0].key);
        CPPUNIT_ASSERT_EQUAL(std::string("last"), table[0].value.text);
        CPPUNIT_ASSERT_EQUAL(std::string("other"), table[1].key);
    }

    void testTablesNestedDeeperThanTheLimitAreMalformed() {
        CPPUNIT_ASSERT_THROW(AmqpMessageDecoder::decodeTable(nested(5000)),
                             msgbus::MalformedMessage);
    }

    void testNestingUpToTheLimitIsKept() {
        auto table = AmqpMessageDecoder::decodeTable(nested(AmqpMessageDecoder::maxDepth));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), table.size());
    }

    // A zeroed value of every tag rabbitmq-c can hand over (empty strings, arrays, tables).
    void testEveryWireTagDecodesToItsKind() {
        for (const auto& traits : msgbus::fieldKinds) {
            amqp_field_value_t value{};
            value.kind = static_cast<std::uint8_t>(traits.byte);
            msgbus::FieldValue decoded = AmqpMessageDecoder::decodeValue(value);
            CPPUNIT_ASSERT_MESSAGE(std::string(traits.name), traits.kind == decoded.kind);
            msgbus::FieldValue zero;
            zero.kind = traits.kind;
            CPPUNIT_ASSERT(zero == decoded);
        }
    }

    void testUnknownWireTagIsMalformed() {
        for (std::uint8_t tag : {std::uint8_t('Z'), std::uint8_t(0), std::uint8_t(0xff)}) {
            amqp_field_value_t value{};
            value.kind = tag;
            try {
                AmqpMessageDecoder::decodeValue(value);
                CPPUNIT_FAIL("accepted kind " + std::to_string(tag));
            } catch (const msgbus::MalformedMessage& e) {
                CPPUNIT_ASSERT(
                    std::string(e.what()).find("unknown AMQP field kind " + std::to_string(tag)) !=
                    std::string::npos);
            }
        }
    }

    void testArraysNestedDeeperThanTheLimitAreMalformed() {
        CPPUNIT_ASSERT_THROW(
            AmqpMessageDecoder::decodeValue(nestedArray(AmqpMessageDecoder::maxDepth + 1)),
            msgbus::MalformedMessage);
        msgbus::FieldValue kept =
            AmqpMessageDecoder::decodeValue(nestedArray(AmqpMessageDecoder::maxDepth));
        CPPUNIT_ASSERT(msgbus::FieldKind::Array == kept.kind);
    }

    void testIntegersKeepTheirSignednessPerWidth() {
        amqp_field_value_t value{};
        value.kind = AMQP_FIELD_KIND_I8;
        value.value.i8 = -1;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-1), AmqpMessageDecoder::decodeValue(value).integer);
        value = amqp_field_value_t{};
        value.kind = AMQP_FIELD_KIND_U32;
        value.value.u32 = UINT32_MAX;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(UINT32_MAX),
                             AmqpMessageDecoder::decodeValue(value).integer);
        value = amqp_field_value_t{};
        value.kind = AMQP_FIELD_KIND_U64;
        value.value.u64 = UINT64_MAX;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-1), AmqpMessageDecoder::decodeValue(value).integer);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpMessageDecoderTest);
