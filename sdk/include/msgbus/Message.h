#pragma once

#include "msgbus/Export.h"

#include "msgbus/Id.h"

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

private:
    std::optional<Id> _id;
    std::string _name;
    std::string _payload;
    Headers _headers;
    std::int64_t _createdAt = 0;
    std::optional<std::string> _partitionKey;
};

} // namespace msgbus
