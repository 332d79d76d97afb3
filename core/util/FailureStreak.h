#pragma once

#include <Poco/Logger.h>

#include <chrono>
#include <string>

namespace msgbus::core {

/// The log of a worker that fails cycle after cycle (a database or broker away): one warning
/// when the streak begins and one information line when it ends, so that an outage of an hour
/// costs two lines instead of one per backoff. The failures in between go to debug level. The
/// count it keeps is what the worker's backoff grows with.
///
/// Not thread-safe: one per worker thread. The logger must outlive it.
class FailureStreak {
public:
    /// who: how the lines name the worker ("retry worker").
    FailureStreak(Poco::Logger& log, std::string who);

    /// One more failed cycle; returns the failures in a row, this one included (1 on the first).
    /// delay: how long the worker waits before the next cycle (said in the first warning).
    int failed(const std::string& error, std::chrono::milliseconds delay);

    /// A cycle succeeded: ends the streak (one information line if there was one).
    void succeeded();

    int failures() const noexcept { return _failures; }

private:
    Poco::Logger& _log;
    std::string _who;
    int _failures = 0;
    std::chrono::steady_clock::time_point _since;
};

} // namespace msgbus::core
