#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace msgbus::core {

/// The failed table's failure_group column: which failures an operator sees as one group, so a
/// group of a million rows is listed through an index instead of by reading every error text.
///
/// Two failures are in one group when their message name, source (consumer), error class and
/// normalised error text are equal. Normalising replaces what differs between occurrences of
/// one fault: UUIDs become "<uuid>", "0x…" hex numbers and long ids (a run of 8+ hex digits
/// with a digit among them, or 16+ letters and digits with a digit among them, like ULIDs and
/// hashes) become "<id>", and every other run of digits becomes "#". So "order 17 not found"
/// and "order 9023 not found" are one group; "order not found" and "customer not found" are two.
/// Pure functions, thread-safe.
class FailureGroup {
public:
    /// The column's width: 16 hex digits (64 bits of a SHA-1): no two groups of one table
    /// collide in practice, and the index stays narrow.
    static constexpr std::size_t kKeyLength = 16;

    /// The error text with its varying parts replaced (see above).
    static std::string normalised(std::string_view errorText);

    /// The group key stored with a row (16 lower-case hex digits).
    static std::string keyOf(const std::optional<std::string>& messageName,
                             const std::string& source, const std::string& errorClass,
                             const std::string& errorMessage);

    /// True when text looks like a group key (what keyOf returns): API input is checked with it
    /// before it reaches SQL.
    static bool isKey(std::string_view text);
};

} // namespace msgbus::core
