#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::test {

/// How a child process ended.
struct ExitStatus {
    bool exited = false; ///< ended through exit(): code is set
    int code = -1;       ///< exit code when exited
    int signal = 0;      ///< terminating signal when !exited

    bool success() const { return exited && code == 0; }
    /// "exit 0", "exit 1", "signal 9 (Killed)".
    std::string describe() const;
};

/// A child process (the msgbus host, the orders producer, ...) with stdout and stderr appended
/// to a log file. RAII: the destructor kills it with SIGKILL and reaps it if it still runs, so a
/// failing assertion never leaves a host behind; the child also gets SIGKILL when the test
/// process dies (PR_SET_PDEATHSIG). Used from one thread.
class HostProcess {
public:
    /// Starts argv[0] (a path) with argv; throws std::runtime_error when it cannot be started.
    HostProcess(std::vector<std::string> argv, std::string logPath);
    ~HostProcess();
    HostProcess(const HostProcess&) = delete;
    HostProcess& operator=(const HostProcess&) = delete;

    /// `msgbus run --config <config>` (the binary of the build under test).
    static std::vector<std::string> msgbusRun(const std::string& config);

    pid_t pid() const { return _pid; }
    const std::string& logPath() const { return _logPath; }

    /// True while the process has not ended (reaps it when it has).
    bool running();
    /// Sends sig; a no-op once the process has ended.
    void signal(int sig);
    /// Waits up to timeout for the process to end; nullopt when it still runs.
    std::optional<ExitStatus> waitExit(std::chrono::milliseconds timeout);
    /// SIGKILL and reap; returns how it ended (it may have ended by itself before).
    ExitStatus kill9();
    /// The exit status once ended.
    const std::optional<ExitStatus>& status() const { return _status; }

    /// The log file's current contents.
    std::string log() const;
    /// The last n lines of the log (for assertion messages).
    std::string logTail(std::size_t lines = 30) const;
    /// True when the log contains text.
    bool logContains(const std::string& text) const;

private:
    bool reap(bool block);

    std::vector<std::string> _argv;
    std::string _logPath;
    pid_t _pid = -1;
    std::optional<ExitStatus> _status;
};

/// Polls predicate every poll until it returns true (→ true) or timeout passed (→ false; the
/// predicate is evaluated one last time at the deadline).
bool waitUntil(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll = std::chrono::milliseconds(100));

} // namespace msgbus::test
