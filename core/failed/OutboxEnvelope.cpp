#include "core/failed/OutboxEnvelope.h"

#include "core/failed/StoredEnvelope.h"

namespace msgbus::core {
namespace {

// Carried as headers: a stored envelope has no property for them.
constexpr const char* partitionKeyHeader = "x-partition-key";
constexpr const char* createdAtHeader = "x-created-at";

} // namespace

std::string OutboxEnvelope::encode(const Message& message) {
    WireMessage wire;
    wire.properties.messageId = message.id().toString();
    wire.properties.type = message.name();
    wire.properties.timestamp = message.createdAt() / 1000;
    for (const auto& [key, value] : message.headers())
        wire.headers.push_back({key, FieldValue::ofString(value)});
    if (message.partitionKey())
        wire.headers.push_back({partitionKeyHeader, FieldValue::ofString(*message.partitionKey())});
    wire.headers.push_back({createdAtHeader, FieldValue::ofInt64(message.createdAt())});
    return envelopeToJson(wire);
}

std::string OutboxEnvelope::unreadable() {
    return R"({"properties":{},"headers":{}})";
}

Message OutboxEnvelope::decode(const FailedRecord& record) {
    WireMessage envelope = envelopeFromJson(record.envelopeJson, record.body);
    // The name column is left empty when the name does not fit it (too long, not UTF-8); the
    // envelope's type property keeps it whole.
    Message message(record.messageName ? *record.messageName
                                       : envelope.properties.type.value_or(""),
                    record.body);
    if (record.messageId)
        message.setId(*record.messageId);
    for (const auto& entry : envelope.headers) {
        if (entry.key == partitionKeyHeader && entry.value.isString())
            message.setPartitionKey(entry.value.text);
        else if (entry.key == createdAtHeader && entry.value.isInteger())
            message.setCreatedAt(entry.value.integer);
        else if (entry.value.isString())
            message.setHeader(entry.key, entry.value.text);
    }
    return message;
}

} // namespace msgbus::core
