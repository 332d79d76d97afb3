#include "support/RabbitCluster.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace msgbus::test {

namespace {

struct CommandResult {
    int exitCode = -1; ///< -1 when it did not exit normally
    std::string out;
    std::string err;
};

// fork/exec rather than popen: stdout and stderr are kept apart (ctl returns stdout and reports
// stderr) and no argument goes through a shell.
CommandResult runArgv(const std::vector<std::string>& argv) {
    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& a : copy)
        args.push_back(a.data());
    args.push_back(nullptr);
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("RabbitCluster: pipe: ") + std::strerror(errno));
    if (::pipe2(err, O_CLOEXEC) != 0) {
        const int error = errno;
        ::close(out[0]);
        ::close(out[1]);
        throw std::runtime_error(std::string("RabbitCluster: pipe: ") + std::strerror(error));
    }
    const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        for (int fd : {out[0], out[1], err[0], err[1], devNull})
            if (fd >= 0)
                ::close(fd);
        throw std::runtime_error(std::string("RabbitCluster: fork: ") + std::strerror(error));
    }
    if (pid == 0) {
        if (devNull >= 0)
            ::dup2(devNull, STDIN_FILENO);
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        // The nodes it may start must not keep the test's database or broker sockets open.
        ::close_range(3, ~0U, 0);
        ::execvp(args[0], args.data());
        const char* message = "RabbitCluster: exec failed\n";
        [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message, std::strlen(message));
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    if (devNull >= 0)
        ::close(devNull);

    // Both pipes at once: a child blocked on a full stderr pipe would never close stdout.
    CommandResult result;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open = 2;
    char buffer[4096];
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    for (auto& fd : fds)
        if (fd.fd >= 0)
            ::close(fd.fd);
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r == pid && WIFEXITED(status))
        result.exitCode = WEXITSTATUS(status);
    return result;
}

std::vector<std::string> splitCommas(const std::string& text) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, ','))
        if (!part.empty())
            parts.push_back(part);
    return parts;
}

std::string requiredEnv(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value)
        throw std::runtime_error(
            std::string(name) +
            " is not set: start the RabbitMQ cluster (`./run services start --cluster` or "
            "`tests/support/services.sh cluster-start`) and `eval \"$(tests/support/services.sh "
            "env)\"`");
    return value;
}

std::string joined(const std::vector<std::string>& args) {
    std::string text;
    for (const auto& a : args)
        text += (text.empty() ? "" : " ") + a;
    return text;
}

} // namespace

bool RabbitCluster::available() {
    const char* urls = std::getenv("MSGBUS_TEST_CLUSTER_URLS");
    return urls && *urls;
}

RabbitCluster::RabbitCluster()
    : _urls(splitCommas(requiredEnv("MSGBUS_TEST_CLUSTER_URLS"))),
      _nodes(splitCommas(requiredEnv("MSGBUS_TEST_CLUSTER_NODES"))),
      _script(requiredEnv("MSGBUS_TEST_CLUSTER_SCRIPT")) {
    if (_urls.empty() || _urls.size() != _nodes.size())
        throw std::runtime_error("RabbitCluster: MSGBUS_TEST_CLUSTER_URLS and "
                                 "MSGBUS_TEST_CLUSTER_NODES do not list the same number of nodes");
}

RabbitCluster::~RabbitCluster() {
    if (_killed.empty())
        return;
    try {
        // A member started alone waits at boot for the members it last saw running, so when
        // all are down they start together.
        if (static_cast<int>(_killed.size()) == size()) {
            script({"cluster-start"});
        } else {
            for (int n : _killed)
                script({"cluster-node-start", std::to_string(n)});
        }
    } catch (const std::exception& e) {
        std::cerr << "RabbitCluster: could not start the killed nodes again: " << e.what() << "\n";
    }
}

std::string RabbitCluster::commaSeparatedUrls() const {
    std::string text;
    for (const auto& url : _urls)
        text += (text.empty() ? "" : ",") + url;
    return text;
}

int RabbitCluster::nodeNumber(const std::string& node) const {
    for (std::size_t i = 0; i < _nodes.size(); ++i)
        if (_nodes[i] == node)
            return static_cast<int>(i) + 1;
    return 0;
}

void RabbitCluster::checkNode(int n) const {
    if (n < 1 || n > size())
        throw std::invalid_argument("RabbitCluster: node " + std::to_string(n) +
                                    " does not exist (1.." + std::to_string(size()) + ")");
}

std::string RabbitCluster::script(const std::vector<std::string>& args) const {
    // Through bash: the script need not be executable.
    std::vector<std::string> argv = {"bash", _script};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto result = runArgv(argv);
    if (result.exitCode != 0)
        throw std::runtime_error("services.sh " + joined(args) + " failed (exit " +
                                 std::to_string(result.exitCode) + "):\n" + result.err +
                                 result.out);
    return result.out;
}

void RabbitCluster::killNode(int n) {
    checkNode(n);
    _killed.insert(n); // before the command: a half-done kill is undone too
    script({"cluster-node-kill", std::to_string(n)});
}

void RabbitCluster::startNode(int n) {
    checkNode(n);
    script({"cluster-node-start", std::to_string(n)});
    _killed.erase(n);
}

std::string RabbitCluster::ctl(int n, const std::vector<std::string>& args) const {
    return tool(n, "rabbitmqctl", args);
}

std::string RabbitCluster::tool(int n, const std::string& tool,
                                const std::vector<std::string>& args) const {
    checkNode(n);
    std::vector<std::string> argv = {"bash",   _script, "cluster-ctl", std::to_string(n),
                                     "--tool", tool};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto result = runArgv(argv);
    if (result.exitCode != 0)
        throw std::runtime_error(tool + " " + joined(args) + " on node " + std::to_string(n) +
                                 " failed (exit " + std::to_string(result.exitCode) + "):\n" +
                                 result.err);
    return result.out;
}

int RabbitCluster::nodeOfQueueLeader(const std::string& queue, const std::string& vhost,
                                     std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    while (true) {
        for (int n = 1; n <= size(); ++n) {
            if (_killed.count(n))
                continue;
            std::string listing;
            try {
                // -s: no informational lines and no header; one "name<TAB>leader" line a queue.
                listing = ctl(n, {"list_queues", "-s", "-p", vhost, "name", "leader"});
            } catch (const std::exception& e) {
                last = e.what(); // that node is down or busy: ask the next one
                continue;
            }
            bool found = false;
            std::istringstream lines(listing);
            std::string line;
            while (std::getline(lines, line)) {
                const auto tab = line.find('\t');
                if (tab == std::string::npos || line.compare(0, tab, queue) != 0)
                    continue;
                found = true;
                std::string leader = line.substr(tab + 1);
                while (!leader.empty() && (leader.back() == '\r' || leader.back() == ' '))
                    leader.pop_back();
                const int number = nodeNumber(leader);
                // Just after a kill the record may still name the dead node until the election.
                if (number != 0 && !_killed.count(number))
                    return number;
                last = "queue " + queue + " has no live leader yet (\"" + leader + "\")";
            }
            if (!found)
                throw std::runtime_error("RabbitCluster: queue " + queue + " not found in vhost " +
                                         vhost + " (asked node " + std::to_string(n) + ")");
            break; // the queue exists but is electing a leader: ask again after a pause
        }
        if (std::chrono::steady_clock::now() >= deadline)
            throw std::runtime_error("RabbitCluster: no leader for queue " + queue + " within " +
                                     std::to_string(timeout.count()) + " ms: " + last);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

} // namespace msgbus::test
