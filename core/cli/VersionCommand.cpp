#include "core/cli/VersionCommand.h"

#include "core/cli/CommandLine.h"

#include <msgbus/PluginAbi.h>

#include <Poco/Environment.h>
#include <Poco/Version.h>

#include <amqp.h>

#include <cstdint>
#include <iostream>
#include <string>

#ifndef MSGBUS_VERSION
#error "MSGBUS_VERSION is set by core/CMakeLists.txt from project(VERSION)"
#endif

namespace msgbus::core::cli {
namespace {

/// Poco's 0xAABBCCDD (major, minor, patch, pre-release) as "A.B.C".
std::string pocoVersionText(std::uint32_t version) {
    return std::to_string((version >> 24) & 0xFF) + "." + std::to_string((version >> 16) & 0xFF) +
           "." + std::to_string((version >> 8) & 0xFF);
}

/// The library this process runs with, and the one it was compiled against when they differ:
/// plugins are checked against the compiled one (the ABI block), so a mismatch is worth seeing.
std::string runningAndBuilt(const std::string& running, const std::string& built) {
    return running == built ? running : running + " (built with " + built + ")";
}

} // namespace

std::string versionNumber() {
    return MSGBUS_VERSION;
}

std::string versionText() {
    return std::string("msgbus ") + MSGBUS_VERSION + "\n" + "plugin SDK ABI " +
           std::to_string(MSGBUS_SDK_ABI) + "\n" + "Poco " +
           runningAndBuilt(pocoVersionText(Poco::Environment::libraryVersion()),
                           pocoVersionText(POCO_VERSION)) +
           "\n" + "rabbitmq-c " + runningAndBuilt(amqp_version(), AMQP_VERSION_STRING) + "\n";
}

int version(const std::vector<std::string>& args) {
    CommandLine line(args, {}, {});
    if (!line.positional().empty())
        throw UsageError("version takes no arguments");
    std::cout << versionText();
    return 0;
}

} // namespace msgbus::core::cli
