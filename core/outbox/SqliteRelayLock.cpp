#include "core/outbox/SqliteRelayLock.h"

#include <msgbus/Error.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace msgbus::core {

SqliteRelayLock::SqliteRelayLock(const std::string& databasePath)
    : _path(databasePath + ".msgbus-relay.lock") {}

SqliteRelayLock::~SqliteRelayLock() {
    if (_fd >= 0)
        ::close(_fd); // releases the flock
}

bool SqliteRelayLock::acquire() {
    if (_held)
        return true;
    if (_fd < 0) {
        _fd = ::open(_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (_fd < 0)
            throw Error("relay lock " + _path + ": cannot open: " + std::strerror(errno));
    }
    if (::flock(_fd, LOCK_EX | LOCK_NB) == 0) {
        _held = true;
        return true;
    }
    if (errno != EWOULDBLOCK)
        throw Error("relay lock " + _path + ": " + std::strerror(errno));
    return false;
}

} // namespace msgbus::core
