#pragma once

#include <memory>
#include <string>
#include <vector>

namespace msgbus::core {
class Host;
namespace console {
class Console;
}
} // namespace msgbus::core

namespace msgbus::core::cli {

struct Loaded;

/// `msgbus console [--listen host:port]`: the operator console over the configured database,
/// until SIGTERM/SIGINT. Prints its URL on stdout once it listens. Runs no worker.
int consoleCommand(const std::vector<std::string>& args);

/// With console.enabled, the console served on host's admin port (call before host.start());
/// it must outlive the host's admin endpoint. nullptr when not enabled (or http.port is 0).
std::unique_ptr<console::Console> consoleOnAdminPort(Host& host, const Loaded& loaded);

} // namespace msgbus::core::cli
