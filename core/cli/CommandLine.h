#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace msgbus::core {

/// Thrown for a bad command line; the message names the flag. Exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// `msgbus <command> [positional...] [--flag value | --switch]...`, parsed against the flags a
/// command declares, so an unknown or incomplete flag is named in the error.
class CommandLine {
public:
    /// valueFlags take a value (repeatable ones keep every value); switches take none.
    CommandLine(const std::vector<std::string>& args, const std::vector<std::string>& valueFlags,
                const std::vector<std::string>& switches);

    const std::vector<std::string>& positional() const noexcept { return _positional; }
    bool has(const std::string& flag) const { return _values.count(flag) > 0; }
    std::optional<std::string> value(const std::string& flag) const;
    std::vector<std::string> values(const std::string& flag) const;
    long long integer(const std::string& flag, long long fallback) const;

private:
    std::vector<std::string> _positional;
    std::multimap<std::string, std::string> _values;
};

} // namespace msgbus::core
