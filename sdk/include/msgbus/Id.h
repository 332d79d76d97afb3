#pragma once

#include "msgbus/Export.h"

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace msgbus {

/// A message id: 16 bytes, UUIDv7 (48-bit big-endian Unix milliseconds, version 7, variant 10,
/// random tail). Byte order is time order. Ids minted by one process strictly increase, also
/// within one millisecond (the random tail is used as a counter then).
///
/// Text form: canonical lowercase UUID. parse() also accepts a 26-character Crockford ULID (as
/// PHP peers send it) and 32 hex characters; it rejects NIL, MAX and anything else.
///
/// Value type; generate() is thread-safe.
class MSGBUS_API Id {
public:
    using Bytes = std::array<std::uint8_t, 16>;

    /// Mints a new UUIDv7, strictly greater than every id minted before in this process.
    static Id generate();

    /// Parses UUID text (any case), ULID text or 32 hex characters.
    /// Throws InvalidArgument naming the text and what is wrong with it.
    static Id parse(std::string_view text);

    /// Builds an id from 16 raw bytes (e.g. a BINARY(16) column).
    /// Throws InvalidArgument when size != 16 or the bytes are NIL or MAX.
    static Id fromBytes(const void* data, std::size_t size);

    /// True when parse() would accept the text.
    static bool isValid(std::string_view text) noexcept;

    const Bytes& bytes() const noexcept { return _bytes; }
    std::string toString() const;
    /// The raw 16 bytes as a std::string (for binding to BINARY(16)/BLOB columns).
    std::string toBinary() const;
    /// The 48-bit timestamp of a UUIDv7 (ms since the epoch); meaningless for other versions.
    std::int64_t unixMillis() const noexcept;

    auto operator<=>(const Id&) const = default;
    bool operator==(const Id&) const = default;

private:
    explicit Id(const Bytes& bytes) : _bytes(bytes) {}
    Bytes _bytes{};
};

} // namespace msgbus
