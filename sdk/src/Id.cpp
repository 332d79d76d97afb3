#include "msgbus/Id.h"

#include "msgbus/Error.h"
#include "msgbus/internal/PrintableText.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>

namespace msgbus {
namespace {

constexpr char hexDigits[] = "0123456789abcdef";

int hexValue(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Crockford base32 as used by ULID: case-insensitive, I and L read as 1, O as 0, no U.
int crockfordValue(char c) noexcept {
    static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    if (c >= 'a' && c <= 'z')
        c = static_cast<char>(c - 'a' + 'A');
    if (c == 'I' || c == 'L')
        return 1;
    if (c == 'O')
        return 0;
    for (int i = 0; i < 32; ++i)
        if (alphabet[i] == c)
            return i;
    return -1;
}

bool hexInto(std::string_view text, Id::Bytes& bytes) noexcept {
    for (std::size_t i = 0; i < 16; ++i) {
        int hi = hexValue(text[2 * i]);
        int lo = hexValue(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

bool ulidInto(std::string_view text, Id::Bytes& bytes) noexcept {
    // 26 symbols * 5 bits = 130 bits; the first symbol carries only 3, so it must be <= 7.
    int first = crockfordValue(text[0]);
    if (first < 0 || first > 7)
        return false;
    unsigned __int128 value = static_cast<unsigned>(first);
    for (std::size_t i = 1; i < 26; ++i) {
        int v = crockfordValue(text[i]);
        if (v < 0)
            return false;
        value = value << 5 | static_cast<unsigned>(v);
    }
    for (int i = 15; i >= 0; --i) {
        bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xff);
        value >>= 8;
    }
    return true;
}

bool parseInto(std::string_view text, Id::Bytes& bytes) noexcept {
    if (text.size() == 36) {
        if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
            return false;
        std::string compact;
        compact.reserve(32);
        for (char c : text)
            if (c != '-')
                compact += c;
        return compact.size() == 32 && hexInto(compact, bytes);
    }
    if (text.size() == 32)
        return hexInto(text, bytes);
    if (text.size() == 26)
        return ulidInto(text, bytes);
    return false;
}

bool isNil(const Id::Bytes& b) noexcept {
    for (auto v : b)
        if (v != 0)
            return false;
    return true;
}

bool isMax(const Id::Bytes& b) noexcept {
    for (auto v : b)
        if (v != 0xff)
            return false;
    return true;
}

// Process-wide generator state. Guarded by one mutex: minting is not on a path where a
// contended lock matters next to the database write that follows it.
class Generator {
public:
    Id::Bytes next() {
        std::lock_guard lock(_mutex);
        auto now =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
        if (now > _lastMs) {
            _lastMs = now;
            _randA = static_cast<std::uint16_t>(_rng() & 0x0fff);
            _randB = _rng() & 0x3fffffffffffffffULL;
        } else {
            // Same (or earlier: the clock stepped back) millisecond: keep the last timestamp
            // and count up in the 74 random bits, so ids still strictly increase.
            if (++_randB > 0x3fffffffffffffffULL) {
                _randB = 0;
                if (++_randA > 0x0fff) {
                    _randA = 0;
                    ++_lastMs;
                }
            }
        }
        Id::Bytes b{};
        for (int i = 0; i < 6; ++i)
            b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(_lastMs >> (40 - 8 * i));
        b[6] = static_cast<std::uint8_t>(0x70 | (_randA >> 8));
        b[7] = static_cast<std::uint8_t>(_randA & 0xff);
        b[8] = static_cast<std::uint8_t>(0x80 | (_randB >> 56));
        for (int i = 9; i < 16; ++i)
            b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(_randB >> (8 * (15 - i)));
        return b;
    }

private:
    std::mutex _mutex;
    std::mt19937_64 _rng{std::random_device{}()};
    std::uint64_t _lastMs = 0;
    std::uint16_t _randA = 0;
    std::uint64_t _randB = 0;
};

Generator& generator() {
    static Generator instance;
    return instance;
}

} // namespace

Id Id::generate() {
    return Id(generator().next());
}

Id Id::parse(std::string_view text) {
    Bytes bytes{};
    if (!parseInto(text, bytes))
        throw InvalidArgument("invalid message id '" + printableText(text, 64) +
                              "': expected a UUID (36 characters), a ULID (26) or 32 hex digits");
    if (isNil(bytes))
        throw InvalidArgument("invalid message id '" + printableText(text, 64) + "': the NIL UUID");
    if (isMax(bytes))
        throw InvalidArgument("invalid message id '" + printableText(text, 64) + "': the MAX UUID");
    return Id(bytes);
}

Id Id::fromBytes(const void* data, std::size_t size) {
    if (size != 16)
        throw InvalidArgument("invalid binary message id: " + std::to_string(size) +
                              " bytes, expected 16");
    Bytes bytes{};
    std::copy_n(static_cast<const std::uint8_t*>(data), 16, bytes.begin());
    if (isNil(bytes) || isMax(bytes))
        throw InvalidArgument("invalid binary message id: NIL or MAX UUID");
    return Id(bytes);
}

bool Id::isValid(std::string_view text) noexcept {
    Bytes bytes{};
    return parseInto(text, bytes) && !isNil(bytes) && !isMax(bytes);
}

std::string Id::toString() const {
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out += '-';
        out += hexDigits[_bytes[i] >> 4];
        out += hexDigits[_bytes[i] & 0xf];
    }
    return out;
}

std::string Id::toBinary() const {
    return std::string(reinterpret_cast<const char*>(_bytes.data()), _bytes.size());
}

std::int64_t Id::unixMillis() const noexcept {
    std::int64_t ms = 0;
    for (std::size_t i = 0; i < 6; ++i)
        ms = ms << 8 | _bytes[i];
    return ms;
}

} // namespace msgbus
