#include "core/inbox/LockConflictLog.h"

namespace msgbus::core {

LockConflictLog::LockConflictLog(Metrics& metrics, std::string consumer, Poco::Logger& log,
                                 std::chrono::seconds interval)
    : _metrics(metrics), _consumer(std::move(consumer)), _log(log), _interval(interval) {}

bool LockConflictLog::rerun(int rerun, const std::string& error, Clock::time_point now) {
    _metrics.lockConflictReruns.add(_consumer);
    if (_logged && now - _loggedAt < _interval) {
        ++_unlogged;
        return false;
    }
    const std::string more =
        _unlogged == 0 ? std::string()
                       : " (" + std::to_string(_unlogged) + " more since the last such line)";
    _log.information("consumer %s: a batch lost a lock conflict and runs again (rerun %d)%s: %s",
                     _consumer, rerun, more, error);
    _logged = true;
    _loggedAt = now;
    _unlogged = 0;
    return true;
}

} // namespace msgbus::core
