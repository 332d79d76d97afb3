// SpanExporter: the OTLP/JSON body a collector receives, span ids, the endpoint check, and the
// bounded queue, against an in-process collector on a free loopback port.
#include "core/tracing/SpanExporter.h"

#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <cppunit/extensions/HelperMacros.h>

#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using msgbus::core::newSpanId;
using msgbus::core::Span;
using msgbus::core::SpanExporter;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

Span span(const std::string& name, const std::string& spanId = "00f067aa0ba902b7") {
    Span s;
    s.traceId = traceId;
    s.spanId = spanId;
    s.name = name;
    s.startUnixNanos = 1700000000000000000;
    s.endUnixNanos = 1700000000250000000;
    return s;
}

Object::Ptr parse(const std::string& text) {
    return Poco::JSON::Parser().parse(text).extract<Object::Ptr>();
}

Array::Ptr spansOf(const Object::Ptr& root) {
    return root->getArray("resourceSpans")
        ->getObject(0)
        ->getArray("scopeSpans")
        ->getObject(0)
        ->getArray("spans");
}

Object::Ptr onlySpan(const Span& s) {
    const auto spans = spansOf(parse(SpanExporter::toOtlpJson({s}, "svc")));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), spans->size());
    return spans->getObject(0);
}

bool isLowerHex(const std::string& text) {
    return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// What the collector got.
struct Received {
    std::mutex mutex;
    std::vector<std::string> paths;
    std::vector<std::string> contentTypes;
    std::vector<std::string> bodies;
    int status = 200;
};

// An OTLP collector on 127.0.0.1:<free port> that answers `expected` requests, one connection
// each, then stops: its thread ends with the last answer, so no test waits on a server's poll
// interval. It gives up after five seconds without a connection (the test then fails on what
// it did not receive).
class LocalCollector {
public:
    explicit LocalCollector(int status = 200, int expected = 1)
        : _socket(Poco::Net::SocketAddress("127.0.0.1", 0)),
          _thread([this, expected] { serve(expected); }) {
        // Before any request: the thread reads it only once one has come.
        std::lock_guard lock(received.mutex);
        received.status = status;
    }
    ~LocalCollector() { _thread.join(); }

    std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(_socket.address().port()) + path;
    }

    Received received;

private:
    void serve(int expected) {
        for (int i = 0; i < expected; ++i) {
            if (!_socket.poll(Poco::Timespan(5, 0), Poco::Net::Socket::SELECT_READ))
                return;
            Poco::Net::StreamSocket connection = _socket.acceptConnection();
            connection.setReceiveTimeout(Poco::Timespan(5, 0));
            answer(connection);
        }
    }

    void answer(Poco::Net::StreamSocket& connection) {
        std::string data;
        char buffer[4096];
        std::size_t headerEnd;
        while ((headerEnd = data.find("\r\n\r\n")) == std::string::npos) {
            const int n = connection.receiveBytes(buffer, sizeof buffer);
            if (n <= 0)
                return;
            data.append(buffer, static_cast<std::size_t>(n));
        }
        Poco::Net::HTTPRequest request;
        std::istringstream head(data.substr(0, headerEnd + 4));
        request.read(head);
        std::string body = data.substr(headerEnd + 4);
        while (request.hasContentLength() &&
               body.size() < static_cast<std::size_t>(request.getContentLength())) {
            const int n = connection.receiveBytes(buffer, sizeof buffer);
            if (n <= 0)
                break;
            body.append(buffer, static_cast<std::size_t>(n));
        }
        int status = 200;
        {
            std::lock_guard lock(received.mutex);
            received.paths.push_back(request.getURI());
            received.contentTypes.push_back(request.getContentType());
            received.bodies.push_back(body);
            status = received.status;
        }
        const std::string reply = "HTTP/1.1 " + std::to_string(status) +
                                  " Status\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        connection.sendBytes(reply.data(), static_cast<int>(reply.size()));
        connection.shutdown();
    }

    Poco::Net::ServerSocket _socket;
    std::thread _thread;
};

template <typename Condition> bool waitFor(Condition condition) {
    for (int i = 0; i < 500 && !condition(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return condition();
}

} // namespace

class SpanExporterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SpanExporterTest);
    CPPUNIT_TEST(testEmptyBatchNamesTheServiceAndTheScope);
    CPPUNIT_TEST(testSpanCarriesIdsNameKindAndTimesAsStrings);
    CPPUNIT_TEST(testRootSpanHasNoParentSpanId);
    CPPUNIT_TEST(testChildSpanNamesItsParent);
    CPPUNIT_TEST(testAttributesAreStringValuesInKeyOrder);
    CPPUNIT_TEST(testErrorBecomesStatusCodeTwoWithTheMessage);
    CPPUNIT_TEST(testSpanWithoutErrorHasNoStatus);
    CPPUNIT_TEST(testTextThatIsNotUtf8IsMadeValid);
    CPPUNIT_TEST(testQuotesAndControlCharactersSurviveTheRoundTrip);
    CPPUNIT_TEST(testSpansKeepTheirOrder);
    CPPUNIT_TEST(testNewSpanIdIsSixteenLowerHexDigitsNeverZero);
    CPPUNIT_TEST(testNewSpanIdsDiffer);
    CPPUNIT_TEST(testEndpointThatIsNotHttpIsRefusedNamingIt);
    CPPUNIT_TEST(testEndpointWithoutHostIsRefused);
    CPPUNIT_TEST(testSpanBeyondCapacityIsDroppedAndCounted);
    CPPUNIT_TEST(testFullBatchIsPostedAsJsonToTheDefaultPath);
    CPPUNIT_TEST(testEndpointPathIsKept);
    CPPUNIT_TEST(testRefusedExportIsCountedAsDropped);
    CPPUNIT_TEST(testDestructorSendsWhatIsQueued);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        // Refused exports warn; the tests check the counters instead.
        Poco::Logger::get("msgbus.tracing").setLevel(Poco::Message::PRIO_ERROR);
    }

    void tearDown() override {
        Poco::Logger::get("msgbus.tracing").setLevel(Poco::Message::PRIO_INFORMATION);
    }

    void testEmptyBatchNamesTheServiceAndTheScope() {
        const auto root = parse(SpanExporter::toOtlpJson({}, "orders-service"));
        const auto resource = root->getArray("resourceSpans")->getObject(0);
        const auto attribute =
            resource->getObject("resource")->getArray("attributes")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("service.name"), attribute->getValue<std::string>("key"));
        CPPUNIT_ASSERT_EQUAL(std::string("orders-service"),
                             attribute->getObject("value")->getValue<std::string>("stringValue"));
        const auto scope = resource->getArray("scopeSpans")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("msgbus"),
                             scope->getObject("scope")->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), spansOf(root)->size());
    }

    void testSpanCarriesIdsNameKindAndTimesAsStrings() {
        Span s = span("orders process");
        s.kind = 4;
        const std::string text = SpanExporter::toOtlpJson({s}, "svc");
        // OTLP/JSON: 64-bit times are strings, not numbers (a double would round them).
        CPPUNIT_ASSERT(text.find("\"startTimeUnixNano\":\"1700000000000000000\"") !=
                       std::string::npos);
        CPPUNIT_ASSERT(text.find("\"endTimeUnixNano\":\"1700000000250000000\"") !=
                       std::string::npos);
        const auto o = onlySpan(s);
        CPPUNIT_ASSERT_EQUAL(traceId, o->getValue<std::string>("traceId"));
        CPPUNIT_ASSERT_EQUAL(std::string("00f067aa0ba902b7"), o->getValue<std::string>("spanId"));
        CPPUNIT_ASSERT_EQUAL(std::string("orders process"), o->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(4, o->getValue<int>("kind"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), o->getArray("attributes")->size());
    }

    void testRootSpanHasNoParentSpanId() {
        CPPUNIT_ASSERT(!onlySpan(span("root"))->has("parentSpanId"));
    }

    void testChildSpanNamesItsParent() {
        Span s = span("child");
        s.parentSpanId = "b7ad6b7169203331";
        CPPUNIT_ASSERT_EQUAL(std::string("b7ad6b7169203331"),
                             onlySpan(s)->getValue<std::string>("parentSpanId"));
    }

    void testAttributesAreStringValuesInKeyOrder() {
        Span s = span("publish");
        s.attributes["messaging.system"] = "rabbitmq";
        s.attributes["messaging.destination.name"] = "orders";
        s.attributes["msgbus.attempt"] = "3";
        const auto attributes = onlySpan(s)->getArray("attributes");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), attributes->size());
        const char* keys[] = {"messaging.destination.name", "messaging.system", "msgbus.attempt"};
        const char* values[] = {"orders", "rabbitmq", "3"};
        for (std::size_t i = 0; i < 3; ++i) {
            const auto a = attributes->getObject(static_cast<unsigned>(i));
            CPPUNIT_ASSERT_EQUAL(std::string(keys[i]), a->getValue<std::string>("key"));
            // Every value is a stringValue, numbers too.
            CPPUNIT_ASSERT_EQUAL(std::string(values[i]),
                                 a->getObject("value")->getValue<std::string>("stringValue"));
        }
    }

    void testErrorBecomesStatusCodeTwoWithTheMessage() {
        Span s = span("handle");
        s.error = "orders/PlaceOrder: boom";
        const auto status = onlySpan(s)->getObject("status");
        CPPUNIT_ASSERT(status);
        CPPUNIT_ASSERT_EQUAL(2, status->getValue<int>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("orders/PlaceOrder: boom"),
                             status->getValue<std::string>("message"));
    }

    void testSpanWithoutErrorHasNoStatus() {
        CPPUNIT_ASSERT(!onlySpan(span("handle"))->has("status"));
    }

    void testTextThatIsNotUtf8IsMadeValid() {
        Span s = span(std::string("bad \xff name"));
        s.attributes["key"] = std::string("\xc3", 1); // a cut two-byte character
        s.error = "\x80";
        const std::string text = SpanExporter::toOtlpJson({s}, "svc\xfe");
        CPPUNIT_ASSERT(msgbus::json::isValidUtf8(text));
        const auto o = onlySpan(s);
        CPPUNIT_ASSERT_EQUAL(std::string("bad \xef\xbf\xbd name"),
                             o->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("\xef\xbf\xbd"),
                             o->getObject("status")->getValue<std::string>("message"));
    }

    void testQuotesAndControlCharactersSurviveTheRoundTrip() {
        const std::string name = "say \"hi\"\\ \n\t\x01 caf\xc3\xa9";
        Span s = span(name);
        s.attributes["a\"b"] = "line1\nline2";
        const auto o = onlySpan(s);
        CPPUNIT_ASSERT_EQUAL(name, o->getValue<std::string>("name"));
        const auto a = o->getArray("attributes")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("a\"b"), a->getValue<std::string>("key"));
        CPPUNIT_ASSERT_EQUAL(std::string("line1\nline2"),
                             a->getObject("value")->getValue<std::string>("stringValue"));
    }

    void testSpansKeepTheirOrder() {
        const auto spans = spansOf(parse(SpanExporter::toOtlpJson(
            {span("first", "1111111111111111"), span("second", "2222222222222222"),
             span("third", "3333333333333333")},
            "svc")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), spans->size());
        CPPUNIT_ASSERT_EQUAL(std::string("first"),
                             spans->getObject(0)->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("second"),
                             spans->getObject(1)->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("3333333333333333"),
                             spans->getObject(2)->getValue<std::string>("spanId"));
    }

    void testNewSpanIdIsSixteenLowerHexDigitsNeverZero() {
        for (int i = 0; i < 1000; ++i) {
            const std::string id = newSpanId();
            CPPUNIT_ASSERT_EQUAL_MESSAGE(id, std::size_t(16), id.size());
            CPPUNIT_ASSERT_MESSAGE(id, isLowerHex(id));
            CPPUNIT_ASSERT_MESSAGE(id, id != std::string(16, '0'));
        }
    }

    void testNewSpanIdsDiffer() {
        std::set<std::string> ids;
        for (int i = 0; i < 1000; ++i)
            ids.insert(newSpanId());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1000), ids.size());
        // Another thread has an engine of its own, seeded apart.
        std::string other;
        std::thread([&other] { other = newSpanId(); }).join();
        CPPUNIT_ASSERT(ids.count(other) == 0);
    }

    void testEndpointThatIsNotHttpIsRefusedNamingIt() {
        for (const std::string endpoint : {"grpc://collector:4317", "collector:4318"}) {
            SpanExporter::Options options;
            options.endpoint = endpoint;
            try {
                SpanExporter exporter(options);
                CPPUNIT_FAIL("accepted " + endpoint);
            } catch (const msgbus::InvalidArgument& e) {
                const std::string what = e.what();
                CPPUNIT_ASSERT_MESSAGE(what, what.find("tracing.otlp.endpoint") == 0);
                CPPUNIT_ASSERT_MESSAGE(what, what.find("'" + endpoint + "'") != std::string::npos);
                CPPUNIT_ASSERT_MESSAGE(what, what.find("http(s)://host:port/v1/traces") !=
                                                 std::string::npos);
            }
        }
    }

    void testEndpointWithoutHostIsRefused() {
        SpanExporter::Options options;
        options.endpoint = "http:///v1/traces";
        CPPUNIT_ASSERT_THROW(SpanExporter{options}, msgbus::InvalidArgument);
        options.endpoint = "";
        CPPUNIT_ASSERT_THROW(SpanExporter{options}, msgbus::InvalidArgument);
    }

    void testSpanBeyondCapacityIsDroppedAndCounted() {
        LocalCollector collector;
        SpanExporter::Options options;
        options.endpoint = collector.url();
        options.capacity = 2;
        options.batchSize = 100;
        options.interval = std::chrono::minutes(10);
        SpanExporter exporter(options);
        exporter.record(span("a"));
        exporter.record(span("b"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), exporter.dropped());
        exporter.record(span("c"));
        exporter.record(span("d"));
        // record() never blocks: the queue is full until the next batch leaves.
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), exporter.dropped());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), exporter.exported());
    }

    void testFullBatchIsPostedAsJsonToTheDefaultPath() {
        LocalCollector collector;
        SpanExporter::Options options;
        options.endpoint = collector.url();
        options.serviceName = "billing";
        options.batchSize = 2;
        options.interval = std::chrono::minutes(10);
        SpanExporter exporter(options);
        exporter.record(span("one", "1111111111111111"));
        exporter.record(span("two", "2222222222222222"));
        CPPUNIT_ASSERT(waitFor([&] { return exporter.exported() == 2; }));
        std::lock_guard lock(collector.received.mutex);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), collector.received.bodies.size());
        CPPUNIT_ASSERT_EQUAL(std::string("/v1/traces"), collector.received.paths[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), collector.received.contentTypes[0]);
        CPPUNIT_ASSERT_EQUAL(
            SpanExporter::toOtlpJson(
                {span("one", "1111111111111111"), span("two", "2222222222222222")}, "billing"),
            collector.received.bodies[0]);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), exporter.dropped());
    }

    void testEndpointPathIsKept() {
        LocalCollector collector;
        SpanExporter::Options options;
        options.endpoint = collector.url("/otel/v1/traces?tenant=a");
        options.batchSize = 1;
        SpanExporter exporter(options);
        exporter.record(span("one"));
        CPPUNIT_ASSERT(waitFor([&] { return exporter.exported() == 1; }));
        std::lock_guard lock(collector.received.mutex);
        CPPUNIT_ASSERT_EQUAL(std::string("/otel/v1/traces?tenant=a"), collector.received.paths[0]);
    }

    void testRefusedExportIsCountedAsDropped() {
        LocalCollector collector(503);
        SpanExporter::Options options;
        options.endpoint = collector.url("/v1/traces");
        options.batchSize = 3;
        SpanExporter exporter(options);
        for (const char* name : {"a", "b", "c"})
            exporter.record(span(name));
        CPPUNIT_ASSERT(waitFor([&] { return exporter.dropped() == 3; }));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), exporter.exported());
    }

    void testDestructorSendsWhatIsQueued() {
        LocalCollector collector;
        {
            SpanExporter::Options options;
            options.endpoint = collector.url("/v1/traces");
            options.batchSize = 100;
            options.interval = std::chrono::minutes(10);
            SpanExporter exporter(options);
            exporter.record(span("last words"));
        }
        std::lock_guard lock(collector.received.mutex);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), collector.received.bodies.size());
        CPPUNIT_ASSERT(collector.received.bodies[0].find("\"name\":\"last words\"") !=
                       std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SpanExporterTest);
