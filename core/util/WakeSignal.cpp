#include "core/util/WakeSignal.h"

#include <msgbus/Error.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <sys/eventfd.h>
#include <unistd.h>

namespace msgbus::core {

WakeSignal::WakeSignal() : _fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (_fd < 0)
        throw Error(std::string("cannot create an eventfd: ") + std::strerror(errno));
}

WakeSignal::~WakeSignal() {
    ::close(_fd);
}

void WakeSignal::signal() noexcept {
    const std::uint64_t one = 1;
    // Fails only when the counter is full, and then the reader is woken anyway.
    [[maybe_unused]] auto written = ::write(_fd, &one, sizeof one);
}

void WakeSignal::drain() noexcept {
    std::uint64_t count = 0;
    [[maybe_unused]] auto read = ::read(_fd, &count, sizeof count);
}

} // namespace msgbus::core
