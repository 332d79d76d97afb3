#include "core/cli/ReservedStdout.h"

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <system_error>
#include <unistd.h>

namespace msgbus::core::cli {

ReservedStdout::ReservedStdout() {
    std::cout.flush();
    std::fflush(stdout);
    _stdout = ::dup(STDOUT_FILENO);
    if (_stdout < 0)
        throw std::system_error(errno, std::generic_category(), "dup(stdout)");
    if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        const int error = errno;
        ::close(_stdout);
        throw std::system_error(error, std::generic_category(), "dup2(stderr, stdout)");
    }
}

ReservedStdout::~ReservedStdout() {
    // What others printed meanwhile is still buffered for descriptor 1, i.e. for stderr.
    std::cout.flush();
    std::fflush(stdout);
    ::dup2(_stdout, STDOUT_FILENO);
    ::close(_stdout);
}

void ReservedStdout::write(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(_stdout, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw std::system_error(errno, std::generic_category(), "write to stdout");
        done += static_cast<std::size_t>(n);
    }
}

} // namespace msgbus::core::cli
