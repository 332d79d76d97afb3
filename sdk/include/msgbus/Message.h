#pragma once

#include "msgbus/Export.h"

#include "msgbus/Id.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace msgbus {

/// An event: a name, a JSON object payload, string headers (correlation id, traceparent,
/// application headers), the creation time and an optional partition key.
///
/// A Message built without an id gets one minted when it is written to the outbox; a caller may
/// pin one with setId(). A message received by a handler always has its id.
/// Value type, not thread-safe.
class MSGBUS_API Message {
public:
    using Headers = std::map<std::string, std::string>;

    Message() = default;
    /// name must be a valid message name; payloadJson should be the text of a JSON object
    /// (validated when the message is written to the outbox, not here).
    Message(std::string name, std::string payloadJson);

    /// The id. Throws MissingId when none was assigned yet (see hasId()).
    const Id& id() const;
    bool hasId() const noexcept { return _id.has_value(); }
    void setId(const Id& id) { _id = id; }

    const std::string& name() const noexcept { return _name; }
    void setName(std::string name) { _name = std::move(name); }

    const std::string& payload() const noexcept { return _payload; }
    void setPayload(std::string payloadJson) { _payload = std::move(payloadJson); }

    const Headers& headers() const noexcept { return _headers; }
    Headers& headers() noexcept { return _headers; }
    void setHeader(const std::string& key, std::string value) { _headers[key] = std::move(value); }
    void setHeaders(Headers headers) { _headers = std::move(headers); }
    /// The value of a header, or an empty optional.
    std::optional<std::string> header(const std::string& key) const;

    /// Creation time, UTC milliseconds since the epoch; 0 until set (the outbox sets it).
    std::int64_t createdAt() const noexcept { return _createdAt; }
    void setCreatedAt(std::int64_t unixMillis) noexcept { _createdAt = unixMillis; }

    const std::optional<std::string>& partitionKey() const noexcept { return _partitionKey; }
    void setPartitionKey(std::string key) { _partitionKey = std::move(key); }
    void clearPartitionKey() noexcept { _partitionKey.reset(); }

    /// The header that carries the delivery time while the message is on its way into the
    /// outbox. The outbox writer moves it into the row's available_at and leaves it out of the
    /// stored headers, so it never reaches the broker.
    static constexpr const char* kDeliverAtHeader = "x-msgbus-deliver-at";

    /// Scheduled delivery: the relay publishes the message at this time, not before (within
    /// about a second after it). A time in the past means at once. Kept as a header, not a
    /// member, so that the class's layout (and with it the plugin ABI) stays as it was: plugins
    /// built before this existed still load and pass messages to the host.
    void setDeliverAt(std::chrono::system_clock::time_point at);
    /// setDeliverAt(now + delay): the delay counts from this call. A negative delay throws
    /// InvalidArgument.
    void setDelay(std::chrono::milliseconds delay);
    /// The delivery time in UTC milliseconds since the epoch, or empty when the message is to go
    /// at once. Throws InvalidArgument when the header holds no such number.
    std::optional<std::int64_t> deliverAt() const;
    /// Sends the message at once again (removes a delivery time).
    void clearDeliverAt() { _headers.erase(kDeliverAtHeader); }

private:
    std::optional<Id> _id;
    std::string _name;
    std::string _payload;
    Headers _headers;
    std::int64_t _createdAt = 0;
    std::optional<std::string> _partitionKey;
};

} // namespace msgbus
