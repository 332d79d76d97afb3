#pragma once

#include "core/config/ConfigError.h"
#include "core/config/ConfigKeys.h"
#include "core/util/Duration.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace msgbus::core {

/// Typed, validated reads; every failure names the key. Remembers which keys it was asked for,
/// so whatever the file holds beyond them can be reported as unknown.
///
/// The fallback of a read is the default: pass the field of a default-constructed Settings,
/// so that a default is written once, as its initialiser.
class ConfigReader {
public:
    explicit ConfigReader(const Poco::Util::AbstractConfiguration& config) : _config(config) {}

    /// Throws std::logic_error for a key missing from ConfigKeys: a key the code reads but the
    /// catalogue (and so the reference file's check) does not know is a bug, not user input.
    bool has(const std::string& key) {
        if (!ConfigKeys::find(key))
            throw std::logic_error("configuration key '" + key +
                                   "' is read but not in the ConfigKeys catalogue");
        _known.insert(key);
        return _config.hasProperty(key);
    }

    std::string string(const std::string& key, const std::string& fallback) {
        if (!has(key))
            return fallback;
        std::string value = Poco::trim(_config.getString(key));
        if (value.find("${") != std::string::npos)
            throw ConfigError(key, "refers to a variable that is not set (check ${system.env.*})");
        return value;
    }

    /// A credential: taken as is (not trimmed: a secret may end in a space) and never quoted
    /// in an error.
    std::optional<std::string> secret(const std::string& key) {
        if (!has(key))
            return std::nullopt;
        std::string value = _config.getString(key);
        if (value.find("${system.env.") != std::string::npos)
            throw ConfigError(key, "refers to a variable that is not set (check ${system.env.*})");
        if (value.empty())
            throw ConfigError(key, "is empty");
        return value;
    }

    std::string required(const std::string& key, const std::string& expected) {
        std::string value = string(key, "");
        if (value.empty())
            throw ConfigError(key, "missing; expected " + expected);
        return value;
    }

    std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min,
                         std::int64_t max) {
        if (!has(key))
            return fallback;
        std::string text = string(key, "");
        Poco::Int64 value = 0;
        if (!Poco::NumberParser::tryParse64(text, value))
            throw ConfigError(key, "'" + text + "' is not an integer");
        if (value < min || value > max)
            throw ConfigError(key, std::to_string(value) + " is out of range [" +
                                       std::to_string(min) + ", " + std::to_string(max) + "]");
        return value;
    }

    int integer32(const std::string& key, int fallback, int min, int max) {
        return static_cast<int>(integer(key, fallback, min, max));
    }

    double real(const std::string& key, double fallback, double min, double max) {
        if (!has(key))
            return fallback;
        std::string text = string(key, "");
        double value = 0;
        if (!Poco::NumberParser::tryParseFloat(text, value))
            throw ConfigError(key, "'" + text + "' is not a number");
        if (value < min || value > max)
            throw ConfigError(key, "out of range [" + std::to_string(min) + ", " +
                                       std::to_string(max) + "]");
        return value;
    }

    bool boolean(const std::string& key, bool fallback) {
        if (!has(key))
            return fallback;
        std::string text = Poco::toLower(string(key, ""));
        if (text == "true" || text == "yes" || text == "on" || text == "1")
            return true;
        if (text == "false" || text == "no" || text == "off" || text == "0")
            return false;
        throw ConfigError(key, "'" + text + "' is not a boolean (true or false)");
    }

    std::chrono::milliseconds millis(const std::string& key, std::chrono::milliseconds fallback,
                                     std::int64_t min, std::int64_t max) {
        return std::chrono::milliseconds(integer(key, fallback.count(), min, max));
    }

    /// A duration as parseDuration() reads it ("7d", "12h").
    std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback) {
        if (!has(key))
            return fallback;
        std::string text = string(key, "");
        DurationProblem problem = DurationProblem::NotADuration;
        if (auto value = parseDuration(text, problem))
            return *value;
        if (problem == DurationProblem::TooLarge)
            throw ConfigError(key, "'" + text + "' is too large");
        throw ConfigError(key, "'" + text + "' is not a duration; expected " + durationShape());
    }

    std::vector<std::string> list(const std::string& key) {
        std::vector<std::string> out;
        if (!has(key))
            return out;
        Poco::StringTokenizer tokens(string(key, ""), ",",
                                     Poco::StringTokenizer::TOK_TRIM |
                                         Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        out.assign(tokens.begin(), tokens.end());
        return out;
    }

    std::string table(const std::string& key, const std::string& fallback) {
        std::string name = string(key, fallback);
        if (!isValidSqlIdentifier(name))
            throw ConfigError(key,
                              "'" + name + "' is not a valid table name ([A-Za-z_][A-Za-z0-9_]*)");
        return name;
    }

    /// Direct child names of prefix ("plugin" → the plugin ids).
    std::vector<std::string> children(const std::string& prefix) {
        Poco::Util::AbstractConfiguration::Keys keys;
        _config.keys(prefix, keys);
        return keys;
    }

    /// Every leaf key under the roots the file can set, for the unknown-key check.
    void collectLeaves(const std::string& prefix, std::vector<std::string>& out) {
        Poco::Util::AbstractConfiguration::Keys keys;
        _config.keys(prefix, keys);
        if (keys.empty()) {
            if (!prefix.empty())
                out.push_back(prefix);
            return;
        }
        if (!prefix.empty() && _config.hasProperty(prefix))
            out.push_back(prefix);
        for (const auto& key : keys)
            collectLeaves(prefix.empty() ? key : prefix + "." + key, out);
    }

    bool known(const std::string& key) const { return _known.count(key) > 0; }

private:
    const Poco::Util::AbstractConfiguration& _config;
    std::set<std::string> _known;
};

} // namespace msgbus::core
