#include "support/HostProcess.h"

#include "support/TestEnv.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace msgbus::test {

std::string ExitStatus::describe() const {
    if (exited)
        return "exit " + std::to_string(code);
    return "signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
}

HostProcess::HostProcess(std::vector<std::string> argv, std::string logPath)
    : _argv(std::move(argv)), _logPath(std::move(logPath)) {
    if (_argv.empty())
        throw std::runtime_error("HostProcess: empty argv");
    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::vector<char*> args;
    for (auto& a : _argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    const int log = ::open(_logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0)
        throw std::runtime_error("HostProcess: cannot open " + _logPath + ": " +
                                 std::strerror(errno));
    const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = ::getpid();
    sigset_t none;
    sigemptyset(&none);

    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        ::close(log);
        ::close(devNull);
        throw std::runtime_error(std::string("HostProcess: fork failed: ") + std::strerror(error));
    }
    if (pid == 0) {
        // Child: never outlive the test process; default signal handling, nothing blocked.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(127);
        for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD})
            ::signal(sig, SIG_DFL);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (devNull >= 0)
            ::dup2(devNull, STDIN_FILENO);
        ::dup2(log, STDOUT_FILENO);
        ::dup2(log, STDERR_FILENO);
        // No inherited database or broker sockets: the child's ends would keep them open.
        ::close_range(3, ~0U, 0);
        ::execv(args[0], args.data());
        const char* message = "HostProcess: exec failed\n";
        [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message, std::strlen(message));
        ::_exit(127);
    }
    ::close(log);
    if (devNull >= 0)
        ::close(devNull);
    _pid = pid;
}

HostProcess::~HostProcess() {
    if (_pid > 0 && !_status)
        kill9();
}

std::vector<std::string> HostProcess::msgbusRun(const std::string& config) {
    return {msgbusBinary(), "run", "--config", config};
}

bool HostProcess::reap(bool block) {
    if (_status)
        return true;
    int raw = 0;
    pid_t r;
    do {
        r = ::waitpid(_pid, &raw, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r != _pid)
        return false;
    ExitStatus status;
    if (WIFEXITED(raw)) {
        status.exited = true;
        status.code = WEXITSTATUS(raw);
    } else if (WIFSIGNALED(raw)) {
        status.signal = WTERMSIG(raw);
    }
    _status = status;
    return true;
}

bool HostProcess::running() {
    return !reap(false);
}

void HostProcess::signal(int sig) {
    if (!reap(false))
        ::kill(_pid, sig);
}

std::optional<ExitStatus> HostProcess::waitExit(std::chrono::milliseconds timeout) {
    waitUntil([this] { return reap(false); }, timeout, std::chrono::milliseconds(20));
    return _status;
}

ExitStatus HostProcess::kill9() {
    if (!reap(false)) {
        ::kill(_pid, SIGKILL);
        reap(true);
    }
    return *_status;
}

std::string HostProcess::log() const {
    std::ifstream in(_logPath, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string HostProcess::logTail(std::size_t lines) const {
    std::string text = log();
    std::size_t pos = text.size();
    if (pos > 0 && text[pos - 1] == '\n')
        --pos;
    for (std::size_t seen = 0; pos > 0; --pos)
        if (text[pos - 1] == '\n' && ++seen == lines)
            break;
    return "--- " + _logPath + " (tail)\n" + text.substr(pos);
}

bool HostProcess::logContains(const std::string& text) const {
    return log().find(text) != std::string::npos;
}

bool waitUntil(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (predicate())
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(poll);
    }
}

} // namespace msgbus::test
