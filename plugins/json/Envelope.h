#pragma once

#include <string>
#include <string_view>

/// The names and checks JsonSerializer's writing (encode) and reading (EnvelopeReader) of a
/// Message's envelope share, so the two sides cannot drift apart. Pure and thread-safe.
namespace msgbus::plugins::envelope {

inline constexpr std::string_view headerId = "x-message-id";
inline constexpr std::string_view headerName = "x-message-name";
inline constexpr std::string_view headerCreatedAt = "x-created-at";
inline constexpr std::string_view headerPartitionKey = "x-partition-key";
inline constexpr std::string_view headerType = "type";
inline constexpr std::string_view headerContentType = "Content-Type";
inline constexpr std::string_view stampPrefix = "X-Message-Stamp-";
inline constexpr std::string_view idStampClass = "MessageIdStamp";
inline constexpr std::string_view nameStampClass = "MessageNameStamp";
inline constexpr std::string_view contentTypeJson = "application/json";

/// True for the headers the envelope owns, which are never copied between Message headers and
/// wire headers: the x-* envelope headers, `type`, `Content-Type` (any case) and every
/// `X-Message-Stamp-*` (prefix in any case).
bool isReservedHeader(std::string_view key) noexcept;

/// True for "X-Message-Stamp-<Namespace>\MessageIdStamp" (prefix in any case) and the bare
/// "X-Message-Stamp-MessageIdStamp" the Freyr guide shows.
bool isIdStampHeader(std::string_view key) noexcept;

/// "header <key>" with the key's bytes escaped to printable ASCII: MalformedMessage's field.
std::string headerField(std::string_view key);

/// Throws MalformedMessage(field, reason) unless name is a valid message name.
void checkName(std::string_view name, const std::string& field);

} // namespace msgbus::plugins::envelope
