#pragma once

#include "core/util/HttpEndpoint.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace msgbus::core {

/// One finished span, as OTLP describes it.
struct Span {
    std::string traceId;      ///< 32 lowercase hex digits
    std::string spanId;       ///< 16 lowercase hex digits
    std::string parentSpanId; ///< 16 hex digits, or "" for a root
    std::string name;
    int kind = 5; ///< OTLP SpanKind: 5 = CONSUMER, 4 = PRODUCER
    std::int64_t startUnixNanos = 0;
    std::int64_t endUnixNanos = 0;
    std::map<std::string, std::string> attributes;
    std::string error; ///< non-empty: status ERROR with this message
};

/// Sends spans to an OpenTelemetry collector with OTLP over HTTP/JSON (POST <endpoint>, e.g.
/// http://collector:4318/v1/traces), in batches, from a thread of its own.
///
/// record() never blocks a worker and never fails: spans wait in a bounded queue, and when it is
/// full (the collector is slow or away) the new span is dropped and counted. An export that
/// fails is dropped and counted too: traces are evidence, not data msgbus must keep.
///
/// Thread-safe. The destructor sends what is queued (one attempt, bounded by the HTTP timeout)
/// and stops the thread.
class SpanExporter {
public:
    struct Options {
        std::string endpoint; ///< http(s)://[user:password@]host:port/path[?query]
        HttpClientOptions http;
        std::string serviceName = "msgbus";
        std::size_t capacity = 10000;
        std::size_t batchSize = 512;
        std::chrono::milliseconds interval{1000};
        std::chrono::milliseconds timeout{5000};
    };

    /// Throws msgbus::InvalidArgument when the endpoint is not an http:// or https:// URL, or
    /// not one HttpEndpoint accepts with options.http. User info in it is sent as Basic
    /// credentials.
    explicit SpanExporter(Options options);
    ~SpanExporter();
    SpanExporter(const SpanExporter&) = delete;
    SpanExporter& operator=(const SpanExporter&) = delete;

    void record(Span span);

    std::uint64_t exported() const noexcept { return _exported.load(); }
    std::uint64_t dropped() const noexcept { return _dropped.load(); }

    /// The OTLP/JSON request body for spans.
    static std::string toOtlpJson(const std::deque<Span>& spans, const std::string& serviceName);

private:
    void run();
    bool send(const std::deque<Span>& batch);

    Options _options;
    HttpEndpoint _endpoint;
    std::string _path;
    std::mutex _mutex;
    std::condition_variable _wake;
    std::deque<Span> _queue;
    bool _stopping = false;
    std::atomic<std::uint64_t> _exported{0};
    std::atomic<std::uint64_t> _dropped{0};
    std::thread _thread;
};

/// A random 16-hex-digit span id (never all zeros).
std::string newSpanId();

/// Now, in nanoseconds since the Unix epoch.
std::int64_t unixNanosNow();

} // namespace msgbus::core
