// AmqpMessageDecoder on tables built the way rabbitmq-c hands them over, without a broker.
#include "core/amqp/AmqpMessageDecoder.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstring>
#include <deque>
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpMessageDecoderTest);
