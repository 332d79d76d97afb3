#include "core/util/FailureStreak.h"

namespace msgbus::core {

FailureStreak::FailureStreak(Poco::Logger& log, std::string who)
    : _log(log), _who(std::move(who)) {}

int FailureStreak::failed(const std::string& error, std::chrono::milliseconds delay) {
    if (_failures++ == 0) {
        _since = std::chrono::steady_clock::now();
        _log.warning("%s: %s (retrying in %sms, backing off up to a few seconds; one line when "
                     "it works again)",
                     _who, error, std::to_string(delay.count()));
    } else {
        _log.debug("%s: failure %s in a row: %s", _who, std::to_string(_failures), error);
    }
    return _failures;
}

void FailureStreak::succeeded() {
    if (_failures == 0)
        return;
    const auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - _since);
    _log.information("%s: working again after %s failed cycles (%sms)", _who,
                     std::to_string(_failures), std::to_string(lasted.count()));
    _failures = 0;
}

} // namespace msgbus::core
