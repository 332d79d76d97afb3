// Spans exported with OTLP over HTTP/JSON to a receiver inside the test: a message carrying a
// trace goes producer → relay → handler A (which publishes through context.publish) → relay →
// handler B, through a real host on MariaDB and RabbitMQ; the receiver sees one trace of four
// spans (publish, handle, publish, handle), each the parent of the next, the first a child of
// the producer's span.
#include "core/config/Settings.h"
#include "core/db/Schema.h"
#include "core/host/Host.h"
#include "core/tracing/SpanExporter.h"
#include "support/HostProcess.h"
#include "support/HttpProbe.h"
#include "support/InProcessHost.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <msgbus/Error.h>
#include <msgbus/Message.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <cppunit/extensions/HelperMacros.h>

#include <set>

#include <mutex>

using namespace msgbus;
using namespace Poco::Data::Keywords;
using namespace std::chrono_literals;

namespace {

/// An OTLP/HTTP receiver: keeps every span posted to /v1/traces.
class OtlpReceiver {
public:
    struct ReceivedSpan {
        std::string traceId, spanId, parentSpanId, name;
    };

    OtlpReceiver()
        : _socket(Poco::Net::SocketAddress("127.0.0.1", 0)),
          _server(new Factory(*this), _socket, new Poco::Net::HTTPServerParams) {
        _server.start();
    }
    ~OtlpReceiver() { _server.stopAll(true); }

    int port() const { return _socket.address().port(); }

    std::vector<ReceivedSpan> spans() {
        std::lock_guard lock(_mutex);
        return _spans;
    }

private:
    void accept(const std::string& body) {
        auto root = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        std::lock_guard lock(_mutex);
        auto resources = root->getArray("resourceSpans");
        for (std::size_t r = 0; r < resources->size(); ++r) {
            auto scopes = resources->getObject(static_cast<unsigned>(r))->getArray("scopeSpans");
            for (std::size_t s = 0; s < scopes->size(); ++s) {
                auto spans = scopes->getObject(static_cast<unsigned>(s))->getArray("spans");
                for (std::size_t i = 0; i < spans->size(); ++i) {
                    auto span = spans->getObject(static_cast<unsigned>(i));
                    _spans.push_back({span->getValue<std::string>("traceId"),
                                      span->getValue<std::string>("spanId"),
                                      span->optValue<std::string>("parentSpanId", ""),
                                      span->getValue<std::string>("name")});
                }
            }
        }
    }

    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(OtlpReceiver& receiver) : _receiver(receiver) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            std::string body;
            Poco::StreamCopier::copyToString(request.stream(), body);
            if (request.getURI() == "/v1/traces")
                _receiver.accept(body);
            response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
            response.setContentType("application/json");
            response.send() << "{}";
        }

    private:
        OtlpReceiver& _receiver;
    };

    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(OtlpReceiver& receiver) : _receiver(receiver) {}
        Poco::Net::HTTPRequestHandler*
        createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(_receiver);
        }

    private:
        OtlpReceiver& _receiver;
    };

    Poco::Net::ServerSocket _socket;
    Poco::Net::HTTPServer _server;
    std::mutex _mutex;
    std::vector<ReceivedSpan> _spans;
};

} // namespace

class TracingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TracingTest);
    CPPUNIT_TEST(testThreeHopsAreOneTraceWithParentLinks);
    CPPUNIT_TEST(testSpansAreDroppedNotWaitedForWhenTheCollectorIsAway);
    CPPUNIT_TEST_SUITE_END();

public:
    void testThreeHopsAreOneTraceWithParentLinks() {
        OtlpReceiver receiver;
        test::InProcessHost world("tracing");
        world.start(
            {{"plugin.poison.library", "libmsgbus-test-poison.so"},
             {"inbox.consumers", "poison"},
             {"inbox.consumer.poison.queue", world.queue},
             {"outbox.workers", "1"},
             {"tracing.otlp.endpoint",
              "http://127.0.0.1:" + std::to_string(receiver.port()) + "/v1/traces"}},
            [](Poco::Data::Session& session) {
                session << "CREATE TABLE poison_effects (k VARCHAR(64) PRIMARY KEY, rerun INT "
                           "NOT NULL)",
                    now;
            });
        core::Host& host = *world.host;
        const auto& settings = world.settings;

        // The producer's span: the root of the trace.
        const std::string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const std::string producerSpan = "00f067aa0ba902b7";
        Message first("test.poison", R"({"key":"a","mode":"publish"})");
        first.setId(Id::generate());
        first.setHeader("traceparent", "00-" + traceId + "-" + producerSpan + "-01");
        {
            auto session = host.database().session();
            OutboxWriter(*session, {settings.outbox.table, settings.outbox.maxBodyBytes})
                .write(first);
        }
        // producer -> publish (relay) -> handle A -> publish (relay) -> handle B: each span the
        // parent of the next, all in the producer's trace.
        const bool all = test::waitUntil([&] { return receiver.spans().size() >= 4; }, 30s);
        host.stop();
        const auto spans = receiver.spans();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(spans.size()) + " span(s)", all);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), spans.size());
        auto childOf = [&](const std::string& parent) {
            for (const auto& span : spans)
                if (span.parentSpanId == parent)
                    return span;
            CPPUNIT_FAIL("no span has the parent " + parent);
            return spans.front();
        };
        const auto publishA = childOf(producerSpan);
        const auto handleA = childOf(publishA.spanId);
        const auto publishB = childOf(handleA.spanId);
        const auto handleB = childOf(publishB.spanId);
        for (const auto* span : {&publishA, &handleA, &publishB, &handleB})
            CPPUNIT_ASSERT_EQUAL(traceId, span->traceId);
        CPPUNIT_ASSERT_EQUAL(std::string("publish test.poison"), publishA.name);
        CPPUNIT_ASSERT_EQUAL(std::string("handle test.poison"), handleA.name);
        CPPUNIT_ASSERT(publishB.name.rfind("publish ", 0) == 0);
        CPPUNIT_ASSERT(handleB.name.rfind("handle ", 0) == 0);
        std::set<std::string> ids{publishA.spanId, handleA.spanId, publishB.spanId, handleB.spanId};
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), ids.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), host.metrics().consumed.load());
    }

    void testSpansAreDroppedNotWaitedForWhenTheCollectorIsAway() {
        core::SpanExporter::Options options;
        options.endpoint =
            "http://127.0.0.1:" + std::to_string(test::freeLocalPort()) + "/v1/traces";
        options.capacity = 10;
        options.timeout = 500ms;
        {
            core::SpanExporter exporter(options);
            for (int i = 0; i < 25; ++i) {
                core::Span span;
                span.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
                span.spanId = core::newSpanId();
                span.name = "s";
                exporter.record(span); // never blocks, whatever the collector does
            }
            CPPUNIT_ASSERT(exporter.dropped() >= 15);
        }
        core::SpanExporter::Options ftp;
        ftp.endpoint = "ftp://x/v1/traces";
        CPPUNIT_ASSERT_THROW(core::SpanExporter{ftp}, msgbus::InvalidArgument);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TracingTest);
