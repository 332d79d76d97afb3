// msgbus: the host and its command line.
#include "core/cli/CommandLine.h"
#include "core/cli/Commands.h"
#include "core/cli/VersionCommand.h"
#include "core/config/ConfigError.h"
#include "core/host/SignalThread.h"
#include "core/plugins/PluginError.h"

#include "core/util/Logging.h"

#include <iostream>
#include <map>

int main(int argc, char** argv) {
    // First, before any thread exists: every thread inherits the blocked signals.
    msgbus::core::SignalThread::blockSignals();
    // Text until a command has read logging.format from its configuration.
    msgbus::core::configureLogging("text");

    using Command = int (*)(const std::vector<std::string>&);
    namespace cli = msgbus::core::cli;
    const std::map<std::string, Command> commands{
        {"--version", cli::version},
        {"version", cli::version},
        {"run", cli::run},
        {"consume", cli::consume},
        {"setup", cli::setup},
        {"publish", cli::publish},
        {"stats", cli::stats},
        {"plugins", cli::plugins},
        {"failed:list", cli::failedList},
        {"failed:show", cli::failedShow},
        {"failed:retry", cli::failedRetry},
        {"failed:remove", cli::failedRemove},
        {"failed:skip", cli::failedSkip},
        {"parked:release", cli::parkedRelease},
        {"cleanup:dedup", cli::cleanupDedup},
        {"outbox:list", cli::outboxList},
        {"outbox:replay", cli::outboxReplay},
        {"outbox:cancel", cli::outboxCancel},
        {"cleanup:outbox", cli::cleanupOutbox},
        {"check", cli::check},
        {"console", cli::consoleCommand},
    };
    if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help") {
        std::cout << cli::usage();
        return argc < 2 ? 2 : 0;
    }
    auto it = commands.find(argv[1]);
    if (it == commands.end()) {
        std::cerr << "msgbus: unknown command '" << argv[1] << "'\n" << cli::usage();
        return 2;
    }
    std::vector<std::string> args(argv + 2, argv + argc);
    try {
        return it->second(args);
    } catch (const msgbus::core::UsageError& e) {
        std::cerr << "msgbus " << argv[1] << ": " << e.what() << "\n";
        return 2;
    } catch (const msgbus::core::ConfigError& e) {
        std::cerr << "msgbus " << argv[1] << ": " << e.what() << "\n";
        return 2;
    } catch (const msgbus::core::PluginError& e) {
        std::cerr << "msgbus " << argv[1] << ": " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "msgbus " << argv[1] << ": " << e.what() << "\n";
        return 1;
    }
}
