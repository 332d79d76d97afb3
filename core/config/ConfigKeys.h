#pragma once

#include <span>
#include <string_view>

namespace msgbus::core {

/// One key of the properties file, or a family of them. In a pattern, <...> stands for one
/// segment chosen by the user (a queue, consumer or plugin id, an x-argument) and a final *
/// for the subtree below (a plugin's own configuration, which the core does not read).
struct ConfigKey {
    std::string_view pattern;
    /// True when the code has a default for it (the initialiser in Settings.h): a value the
    /// reference file gives for it must be that default. False for required keys and for
    /// names, URLs and lists, whose value in the reference file is an example.
    bool hasDefault;
};

/// The catalogue of every key msgbus reads: the one list of them.
///
/// ConfigReader refuses to read a key that is not in it (a logic error: the catalogue and the
/// code went apart), so whatever the host reads, and with it what the unknown-key warning
/// accepts, is catalogued here; the reference file (config/msgbus.properties) is checked
/// against it by a unit test. Immutable, safe from any thread.
class ConfigKeys {
public:
    static std::span<const ConfigKey> all();

    /// The catalogue entry key belongs to, or null.
    static const ConfigKey* find(std::string_view key);

    /// Whether key is one of pattern's keys.
    static bool matches(std::string_view pattern, std::string_view key);
};

} // namespace msgbus::core
