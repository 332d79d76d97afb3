#include "core/tracing/SpanExporter.h"

#include "core/util/ErrorText.h"
#include "core/util/Utf8Text.h"

#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>

#include <Poco/Logger.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <random>

namespace msgbus::core {

std::string newSpanId() {
    // Per thread: no lock; span ids must be unique, not secret.
    thread_local std::mt19937_64 engine{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::uint64_t bits = 0;
    while (bits == 0)
        bits = engine();
    std::string id(16, '0');
    for (auto& c : id) {
        c = digits[bits & 0xf];
        bits >>= 4;
    }
    return id;
}

std::int64_t unixNanosNow() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {

HttpEndpoint endpointOf(const SpanExporter::Options& options) {
    try {
        return HttpEndpoint(options.endpoint, options.http);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(std::string("tracing.otlp.endpoint: ") + e.what() +
                              " (expected http(s)://host:port/v1/traces)");
    }
}

} // namespace

SpanExporter::SpanExporter(Options options)
    : _options(std::move(options)), _endpoint(endpointOf(_options)) {
    const auto& target = _endpoint.pathEtc();
    _path = target.empty() || target == "/" ? "/v1/traces" : target;
    _thread = std::thread([this] { run(); });
}

SpanExporter::~SpanExporter() {
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _wake.notify_all();
    _thread.join();
}

void SpanExporter::record(Span span) {
    bool batchReady = false;
    {
        std::lock_guard lock(_mutex);
        if (_queue.size() >= _options.capacity) {
            ++_dropped;
            return;
        }
        _queue.push_back(std::move(span));
        batchReady = _queue.size() >= _options.batchSize;
    }
    if (batchReady)
        _wake.notify_one();
}

void SpanExporter::run() {
    for (;;) {
        std::deque<Span> batch;
        bool stopping = false;
        {
            std::unique_lock lock(_mutex);
            _wake.wait_for(lock, _options.interval,
                           [this] { return _stopping || _queue.size() >= _options.batchSize; });
            stopping = _stopping;
            while (!_queue.empty() && (stopping || batch.size() < _options.batchSize)) {
                batch.push_back(std::move(_queue.front()));
                _queue.pop_front();
            }
        }
        if (!batch.empty()) {
            if (send(batch))
                _exported += batch.size();
            else
                _dropped += batch.size();
        }
        if (stopping)
            return;
    }
}

bool SpanExporter::send(const std::deque<Span>& batch) {
    try {
        auto session = _endpoint.session(_options.timeout);
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, _path,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        if (_endpoint.hasUserInfo())
            Poco::Net::HTTPBasicCredentials(_endpoint.user(), _endpoint.password())
                .authenticate(request);
        const std::string body = toOtlpJson(batch, _options.serviceName);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session->sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string ignored;
        Poco::StreamCopier::copyToString(session->receiveResponse(response), ignored);
        if (response.getStatus() / 100 == 2)
            return true;
        Poco::Logger::get("msgbus.tracing")
            .warning("OTLP export to %s refused: HTTP %d; %z span(s) dropped", _endpoint.redacted(),
                     static_cast<int>(response.getStatus()), batch.size());
    } catch (const std::exception& e) {
        Poco::Logger::get("msgbus.tracing")
            .warning("OTLP export to %s failed: %s; %z span(s) dropped", _endpoint.redacted(),
                     errorText(e), batch.size());
    }
    return false;
}

std::string SpanExporter::toOtlpJson(const std::deque<Span>& spans,
                                     const std::string& serviceName) {
    const auto attribute = [](const std::string& key, const std::string& value) {
        return "{\"key\":" + json::quote(key) +
               ",\"value\":{\"stringValue\":" + json::quote(lossyUtf8(value)) + "}}";
    };
    std::string out = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" +
                      attribute("service.name", serviceName) +
                      "]},\"scopeSpans\":[{\"scope\":{\"name\":\"msgbus\"},\"spans\":[";
    bool first = true;
    for (const auto& span : spans) {
        out += first ? "{" : ",{";
        first = false;
        // OTLP/JSON writes trace and span ids as hex, and 64-bit times as strings.
        out +=
            "\"traceId\":" + json::quote(span.traceId) + ",\"spanId\":" + json::quote(span.spanId);
        if (!span.parentSpanId.empty())
            out += ",\"parentSpanId\":" + json::quote(span.parentSpanId);
        out += ",\"name\":" + json::quote(lossyUtf8(span.name)) +
               ",\"kind\":" + std::to_string(span.kind) + ",\"startTimeUnixNano\":\"" +
               std::to_string(span.startUnixNanos) + "\",\"endTimeUnixNano\":\"" +
               std::to_string(span.endUnixNanos) + "\",\"attributes\":[";
        bool firstAttribute = true;
        for (const auto& [key, value] : span.attributes) {
            out += (firstAttribute ? "" : ",") + attribute(key, value);
            firstAttribute = false;
        }
        out += "]";
        if (!span.error.empty())
            out +=
                ",\"status\":{\"code\":2,\"message\":" + json::quote(lossyUtf8(span.error)) + "}";
        out += "}";
    }
    return out + "]}]}]}";
}

} // namespace msgbus::core
