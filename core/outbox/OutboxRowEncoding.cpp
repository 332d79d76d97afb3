#include "core/outbox/OutboxRowEncoding.h"

#include "core/util/ErrorText.h"

#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>

namespace msgbus::core {

Message messageOf(const OutboxRow& row, bool withHeaders) {
    Message message(row.name, row.body);
    message.setId(row.id);
    message.setCreatedAt(row.createdAt);
    if (row.partitionKey)
        message.setPartitionKey(*row.partitionKey);
    if (withHeaders)
        message.setHeaders(json::headersFromObject(row.headersJson));
    return message;
}

amqp::OutgoingMessage outgoingOf(const OutboxRow& row, const Serializer& serializer,
                                 const RoutingStrategy& routing, std::uint64_t token) {
    const Message message = messageOf(row);
    Route route = routing.route(message);
    WireMessage wire = serializer.encode(message);
    wire.properties.messageId = row.id.toString();
    for (const auto& [key, value] : route.headers)
        setField(wire.headers, key, FieldValue::ofString(value));
    return {token, std::move(route.exchange), std::move(route.routingKey), std::move(wire)};
}

std::optional<amqp::OutgoingMessage> encodeRow(const OutboxRow& row, std::size_t index,
                                               const Serializer& serializer,
                                               const RoutingStrategy& routing,
                                               std::vector<RowFailure>& failures) {
    try {
        return outgoingOf(row, serializer, routing, index);
    } catch (const MalformedMessage& e) {
        // The plugin says the message itself is wrong: every attempt would meet the same
        // message, so it goes to the failed table now, as a malformed delivery does in the inbox.
        failures.push_back(
            {index, "encode/route failed (malformed: not retried): " + errorText(e), true});
    } catch (const std::exception& e) {
        failures.push_back({index, "encode/route failed: " + errorText(e)});
    } catch (...) {
        failures.push_back({index, "encode/route failed: unknown exception from a plugin"});
    }
    return std::nullopt;
}

} // namespace msgbus::core
