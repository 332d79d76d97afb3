#pragma once

#include "core/cli/CommandLine.h"
#include "core/config/Settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>

namespace msgbus::core::cli {

/// The configuration a command runs with: --config, else $MSGBUS_CONFIG, else
/// ./msgbus.properties, validated (unknown keys are logged as warnings).
struct Loaded {
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config;
    Settings settings;
    std::string path;
};

Loaded loadSettings(const CommandLine& line);

} // namespace msgbus::core::cli
