// JsonSerializer: configuration, encode(), the body checks both directions share, and round
// trips.
#include "unit/plugins/JsonSerializerFixtures.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace msgbus::test::json;

class JsonSerializerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JsonSerializerTest);
    CPPUNIT_TEST(testDefaultsAreMsgbusStyleOneMebibyteAndFreyrNamespace);
    CPPUNIT_TEST(testUnknownStyleIsRejectedNamingKeyAndAllowedValues);
    CPPUNIT_TEST(testMaxBodyBytesMustBeAPositiveInteger);
    CPPUNIT_TEST(testSymfonyNamespaceMustBeAPhpNamespace);
    CPPUNIT_TEST(testUnknownKeyIsRejectedNamingTheKey);
    CPPUNIT_TEST(testRefusedConfigurationLeavesSerializerUnchanged);
    CPPUNIT_TEST(testEncodeWritesPropertiesAndHeadersInOrder);
    CPPUNIT_TEST(testEncodeOmitsPartitionKeyWhenUnset);
    CPPUNIT_TEST(testEncodeTimestampIsCreatedAtInWholeSeconds);
    CPPUNIT_TEST(testEncodeSymfonyStyleAddsTypeStampsAndContentType);
    CPPUNIT_TEST(testEncodeSymfonyStyleUsesConfiguredNamespace);
    CPPUNIT_TEST(testEncodeLeavesOutMessageHeadersWithReservedNames);
    CPPUNIT_TEST(testEncodeWithoutIdIsMalformed);
    CPPUNIT_TEST(testEncodeWithInvalidNameIsMalformed);
    CPPUNIT_TEST(testEncodeWithPayloadThatIsNotAnObjectIsMalformed);
    CPPUNIT_TEST(testEncodeWithOversizedPayloadIsMalformed);
    CPPUNIT_TEST(testEncodeWithOverlongHeaderNameIsMalformed);
    CPPUNIT_TEST(testBodyThatIsNotUtf8IsMalformed);
    CPPUNIT_TEST(testBodyThatIsNotJsonIsMalformed);
    CPPUNIT_TEST(testBodyThatIsJsonButNotAnObjectIsMalformed);
    CPPUNIT_TEST(testEmptyBodyIsMalformed);
    CPPUNIT_TEST(testOversizedBodyIsMalformed);
    CPPUNIT_TEST(testBodyOfExactlyMaxBodyBytesIsAccepted);
    CPPUNIT_TEST(testRoundTripMsgbusStyle);
    CPPUNIT_TEST(testRoundTripSymfonyStyle);
    CPPUNIT_TEST(testRoundTripWithoutPartitionKeyHeadersOrCreatedAt);
    CPPUNIT_TEST(testSymfonyStyleOutputDecodesWithoutXHeaders);
    CPPUNIT_TEST(testEncodeAndDecodeAreSafeConcurrently);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDefaultsAreMsgbusStyleOneMebibyteAndFreyrNamespace() {
        JsonSerializer unconfigured;
        JsonSerializer configured = serializer();
        for (const JsonSerializer* s : {&unconfigured, &configured}) {
            CPPUNIT_ASSERT(s->style() == JsonSerializer::Style::Msgbus);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1048576), s->maxBodyBytes());
            CPPUNIT_ASSERT_EQUAL(std::string("Freyr\\MessageBroker\\Inbox"), s->symfonyNamespace());
        }
        CPPUNIT_ASSERT(serializer({{"style", "symfony"}}).style() ==
                       JsonSerializer::Style::Symfony);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10),
                             serializer({{"max_body_bytes", "10"}}).maxBodyBytes());
    }

    void testUnknownStyleIsRejectedNamingKeyAndAllowedValues() {
        for (const char* bad : {"xml", "", "Symfony", "MSGBUS"}) {
            std::string what = invalidArgument({{"style", bad}});
            CPPUNIT_ASSERT(contains(what, "style"));
            CPPUNIT_ASSERT(contains(what, "'msgbus'"));
            CPPUNIT_ASSERT(contains(what, "'symfony'"));
        }
    }

    void testMaxBodyBytesMustBeAPositiveInteger() {
        for (const char* bad :
             {"0", "-1", "abc", "1.5", "", "0x10", "10k", "99999999999999999999999"}) {
            std::string what = invalidArgument({{"max_body_bytes", bad}});
            CPPUNIT_ASSERT(contains(what, "max_body_bytes"));
            CPPUNIT_ASSERT(contains(what, "positive integer"));
        }
    }

    void testSymfonyNamespaceMustBeAPhpNamespace() {
        for (const char* bad : {"", "App\\", "\\App", "App\\\\Stamp", "App Stamp", "1App", "a/b"}) {
            std::string what = invalidArgument({{"symfony_namespace", bad}});
            CPPUNIT_ASSERT(contains(what, "symfony_namespace"));
        }
        CPPUNIT_ASSERT_EQUAL(
            std::string("App\\Messaging_2\\Stamp"),
            serializer({{"symfony_namespace", "App\\Messaging_2\\Stamp"}}).symfonyNamespace());
    }

    void testUnknownKeyIsRejectedNamingTheKey() {
        CPPUNIT_ASSERT(contains(invalidArgument({{"max_body_byte", "10"}}), "max_body_byte"));
        // A key below a known one is a typo too, not something to ignore.
        CPPUNIT_ASSERT(contains(invalidArgument({{"style.mode", "x"}}), "style.mode"));
    }

    void testRefusedConfigurationLeavesSerializerUnchanged() {
        JsonSerializer s = serializer({{"style", "symfony"}, {"max_body_bytes", "100"}});
        CPPUNIT_ASSERT_THROW(s.configure(*config({{"max_body_bytes", "200"}, {"style", "bad"}})),
                             msgbus::InvalidArgument);
        CPPUNIT_ASSERT(s.style() == JsonSerializer::Style::Symfony);
        CPPUNIT_ASSERT_EQUAL(std::size_t(100), s.maxBodyBytes());
    }

    void testEncodeWritesPropertiesAndHeadersInOrder() {
        Message m = sampleMessage();
        WireMessage wire = serializer().encode(m);

        CPPUNIT_ASSERT_EQUAL(m.payload(), wire.body);
        CPPUNIT_ASSERT(wire.properties.contentType == std::string("application/json"));
        CPPUNIT_ASSERT(wire.properties.deliveryMode == std::uint8_t(2));
        CPPUNIT_ASSERT(wire.properties.messageId == std::string(uuidText));
        CPPUNIT_ASSERT(wire.properties.timestamp == std::int64_t(1720000000));
        CPPUNIT_ASSERT(wire.properties.type == std::string("billing.invoice.paid"));

        msgbus::FieldTable expected{
            {"x-message-id", FieldValue::ofString(uuidText)},
            {"x-message-name", FieldValue::ofString("billing.invoice.paid")},
            {"x-created-at", FieldValue::ofInt64(1720000000123)},
            {"x-partition-key", FieldValue::ofString("customer-7")},
            {"correlation-id", FieldValue::ofString("c-1")},
            {"traceparent",
             FieldValue::ofString("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")},
            {"x-tenant", FieldValue::ofString("acme")},
        };
        CPPUNIT_ASSERT(expected == wire.headers);
    }

    void testEncodeOmitsPartitionKeyWhenUnset() {
        Message m = sampleMessage();
        m.clearPartitionKey();
        WireMessage wire = serializer().encode(m);
        CPPUNIT_ASSERT(wire.header("x-partition-key") == nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("correlation-id"), wire.headers.at(3).key);
    }

    void testEncodeTimestampIsCreatedAtInWholeSeconds() {
        Message m = sampleMessage();
        m.setCreatedAt(1999);
        CPPUNIT_ASSERT(serializer().encode(m).properties.timestamp == std::int64_t(1));
        m.setCreatedAt(0);
        CPPUNIT_ASSERT(serializer().encode(m).properties.timestamp == std::int64_t(0));
    }

    void testEncodeSymfonyStyleAddsTypeStampsAndContentType() {
        Message m = sampleMessage();
        WireMessage wire = serializer({{"style", "symfony"}}).encode(m);

        // The msgbus headers stay, so a msgbus consumer decodes it the same way.
        CPPUNIT_ASSERT_EQUAL(std::string("x-message-id"), wire.headers.at(0).key);
        CPPUNIT_ASSERT(wire.header("x-message-name") != nullptr);
        CPPUNIT_ASSERT(*wire.header("x-created-at") == FieldValue::ofInt64(1720000000123));
        CPPUNIT_ASSERT(*wire.header("type") == FieldValue::ofString("billing.invoice.paid"));
        CPPUNIT_ASSERT(
            *wire.header(freyrIdStamp) ==
            FieldValue::ofString(std::string(R"([{"messageId":")") + uuidText + R"("}])"));
        CPPUNIT_ASSERT(*wire.header(freyrNameStamp) ==
                       FieldValue::ofString(R"([{"messageName":"billing.invoice.paid"}])"));
        CPPUNIT_ASSERT(*wire.header("Content-Type") == FieldValue::ofString("application/json"));
        CPPUNIT_ASSERT(
            *wire.header("traceparent") ==
            FieldValue::ofString("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(11), wire.headers.size());
        CPPUNIT_ASSERT(wire.properties.type == std::string("billing.invoice.paid"));
        CPPUNIT_ASSERT_EQUAL(m.payload(), wire.body);
    }

    void testEncodeSymfonyStyleUsesConfiguredNamespace() {
        WireMessage wire = serializer({{"style", "symfony"}, {"symfony_namespace", "App\\Stamp"}})
                               .encode(sampleMessage());
        CPPUNIT_ASSERT(wire.header("X-Message-Stamp-App\\Stamp\\MessageIdStamp") != nullptr);
        CPPUNIT_ASSERT(wire.header("X-Message-Stamp-App\\Stamp\\MessageNameStamp") != nullptr);
        CPPUNIT_ASSERT(wire.header(freyrIdStamp) == nullptr);
    }

    void testEncodeLeavesOutMessageHeadersWithReservedNames() {
        Message m = sampleMessage();
        m.setHeader("x-message-id", otherUuid);
        m.setHeader("type", "other.name");
        m.setHeader("content-type", "text/plain");
        m.setHeader("X-Message-Stamp-App\\Foo", "[]");
        for (const char* style : {"msgbus", "symfony"}) {
            WireMessage wire = serializer({{"style", style}}).encode(m);
            int idHeaders = 0;
            for (const auto& entry : wire.headers) {
                CPPUNIT_ASSERT(entry.key != "content-type");
                CPPUNIT_ASSERT(entry.key != "X-Message-Stamp-App\\Foo");
                if (entry.key == "x-message-id") {
                    ++idHeaders;
                    CPPUNIT_ASSERT(entry.value == FieldValue::ofString(uuidText));
                }
                if (entry.key == "type")
                    CPPUNIT_ASSERT(entry.value == FieldValue::ofString("billing.invoice.paid"));
            }
            CPPUNIT_ASSERT_EQUAL(1, idHeaders);
        }
    }

    void testEncodeWithoutIdIsMalformed() {
        Message m("order.placed", "{}");
        auto e = malformed([&] { serializer().encode(m); });
        CPPUNIT_ASSERT_EQUAL(std::string("message id"), e.field());
    }

    void testEncodeWithInvalidNameIsMalformed() {
        Message m = sampleMessage();
        m.setName("Order.Placed");
        auto e = malformed([&] { serializer().encode(m); });
        CPPUNIT_ASSERT_EQUAL(std::string("message name"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "Order.Placed"));
    }

    void testEncodeWithPayloadThatIsNotAnObjectIsMalformed() {
        Message m = sampleMessage();
        m.setPayload("[1,2]");
        auto e = malformed([&] { serializer().encode(m); });
        CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "array"));
    }

    void testEncodeWithOversizedPayloadIsMalformed() {
        Message m = sampleMessage();
        auto e = malformed([&] { serializer({{"max_body_bytes", "10"}}).encode(m); });
        CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
    }

    void testEncodeWithOverlongHeaderNameIsMalformed() {
        Message m = sampleMessage();
        m.setHeader(std::string(256, 'h'), "v");
        auto e = malformed([&] { serializer().encode(m); });
        CPPUNIT_ASSERT(contains(e.field(), "header hhh"));
        CPPUNIT_ASSERT(contains(e.what(), "256"));
    }

    void testBodyThatIsNotUtf8IsMalformed() {
        WireMessage wire = msgbusWire();
        wire.body = "{\"a\":\"\xc3\x28\"}";
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "UTF-8"));
    }

    void testBodyThatIsNotJsonIsMalformed() {
        for (const char* bad :
             {"{", "{\"a\":}", "{} {}", "{'a':1}", "hello", "[1,", "{\"a\":1,}"}) {
            WireMessage wire = msgbusWire();
            wire.body = bad;
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
            CPPUNIT_ASSERT_MESSAGE(bad, contains(e.what(), "not valid JSON"));
        }
    }

    void testBodyThatIsJsonButNotAnObjectIsMalformed() {
        const std::map<std::string, std::string> cases{
            {"[1,2]", "an array"},    {" 42", "a number"},   {"-1.5e3", "a number"},
            {"\"text\"", "a string"}, {"true", "a boolean"}, {"null", "null"}};
        for (const auto& [body, kind] : cases) {
            WireMessage wire = msgbusWire();
            wire.body = body;
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
            CPPUNIT_ASSERT_MESSAGE(body,
                                   contains(e.what(), "JSON object is required, got " + kind));
        }
    }

    void testEmptyBodyIsMalformed() {
        for (const char* bad : {"", "  \n"}) {
            WireMessage wire = msgbusWire();
            wire.body = bad;
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
            CPPUNIT_ASSERT(contains(e.what(), "empty"));
        }
    }

    void testOversizedBodyIsMalformed() {
        WireMessage wire = msgbusWire();
        wire.body = R"({"a":")" + std::string(100, 'x') + R"("})";
        auto e = decodeFails(wire, {{"max_body_bytes", "64"}});
        CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "108 bytes"));
        CPPUNIT_ASSERT(contains(e.what(), "64 bytes"));

        // The default limit is 1 MiB.
        wire.body = R"({"a":")" + std::string(1048576, 'x') + R"("})";
        CPPUNIT_ASSERT(contains(decodeFails(wire).what(), "1048576 bytes"));
    }

    void testBodyOfExactlyMaxBodyBytesIsAccepted() {
        WireMessage wire = msgbusWire();
        wire.body = R"({"a":")" + std::string(56, 'x') + R"("})";
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), wire.body.size());
        CPPUNIT_ASSERT_EQUAL(wire.body,
                             serializer({{"max_body_bytes", "64"}}).decode(wire).payload());
    }

    void testRoundTripMsgbusStyle() {
        JsonSerializer s = serializer();
        Message m = sampleMessage();
        assertSameMessage(m, s.decode(s.encode(m)));
    }

    void testRoundTripSymfonyStyle() {
        JsonSerializer s = serializer({{"style", "symfony"}});
        Message m = sampleMessage();
        assertSameMessage(m, s.decode(s.encode(m)));
        // A msgbus-style consumer reads it the same way.
        assertSameMessage(m, serializer().decode(s.encode(m)));
    }

    void testRoundTripWithoutPartitionKeyHeadersOrCreatedAt() {
        for (const char* style : {"msgbus", "symfony"}) {
            JsonSerializer s = serializer({{"style", style}});
            Message m("order.placed", "{}");
            m.setId(Id::generate());
            assertSameMessage(m, s.decode(s.encode(m)));
            m.setCreatedAt(-1500); // before the epoch: still exact through x-created-at
            assertSameMessage(m, s.decode(s.encode(m)));
        }
    }

    void testSymfonyStyleOutputDecodesWithoutXHeaders() {
        // What a peer that strips unknown headers would forward: only the Symfony part.
        WireMessage wire = serializer({{"style", "symfony"}}).encode(sampleMessage());
        std::erase_if(wire.headers, [](const FieldEntry& e) { return e.key.starts_with("x-"); });
        wire.properties = {};
        Message m = serializer().decode(wire);
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), m.id().toString());
        CPPUNIT_ASSERT_EQUAL(std::string("billing.invoice.paid"), m.name());
    }

    void testEncodeAndDecodeAreSafeConcurrently() {
        const JsonSerializer s = serializer({{"style", "symfony"}});
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&s, &failures, t] {
                for (int i = 0; i < 2000; ++i) {
                    Message m("order.placed", "{\"n\":" + std::to_string(i) + "}");
                    m.setId(Id::generate());
                    m.setCreatedAt(i);
                    m.setHeader("thread", std::to_string(t));
                    Message back = s.decode(s.encode(m));
                    if (!(back.id() == m.id()) || back.payload() != m.payload() ||
                        back.headers() != m.headers() || back.createdAt() != i)
                        ++failures;
                }
            });
        for (auto& thread : threads)
            thread.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonSerializerTest);
