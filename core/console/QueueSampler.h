#pragma once

#include "core/amqp/ManagementApi.h"
#include "core/config/Settings.h"

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace msgbus::core::console {

/// One configured queue as the management API reported it.
struct QueueFigures {
    std::string queue;
    std::optional<std::string> consumer; ///< the inbox consumer reading it, if any
    bool exists = true;                  ///< false: the broker has no such queue
    std::optional<amqp::QueueStatus> status;
};

/// Every configured queue at one moment; error says why there are no figures.
struct QueueSnapshot {
    std::vector<QueueFigures> queues;
    std::string error;
};

/// The configured queues (inbox consumers' and amqp.queue.<name>) read from RabbitMQ's
/// management API, now (sample()) and as a history of the last hour sampled every interval on a
/// thread of its own (started by the constructor when amqp.management.url is set, stopped and
/// joined by the destructor). A failed sample leaves a gap in the history. Thread-safe.
class QueueSampler {
public:
    using Point = std::array<std::int64_t, 3>; ///< [ms, ready, unacked]
    static constexpr std::chrono::minutes kHistory{60};
    /// A management API that does not answer within this is reported, not waited for.
    static constexpr std::chrono::milliseconds kTimeout{3000};

    QueueSampler(const Settings& settings, std::chrono::milliseconds interval);
    ~QueueSampler();
    QueueSampler(const QueueSampler&) = delete;
    QueueSampler& operator=(const QueueSampler&) = delete;

    /// Asks the management API now (not recorded in the history). Never throws: a failure is
    /// the snapshot's error.
    QueueSnapshot sample() const;

    /// queue -> its points of the last hour, oldest first.
    std::map<std::string, std::vector<Point>> history() const;

private:
    void run();
    void record(const QueueSnapshot& snapshot, std::int64_t atMs);

    std::vector<QueueFigures> _targets;
    std::string _managementUrl;
    HttpClientOptions _http;
    std::string _user;
    std::string _password;
    std::string _vhost;
    std::string _urlError; ///< why the management API cannot be asked at all
    std::chrono::milliseconds _interval;
    mutable std::mutex _mutex;
    std::condition_variable _wake;
    bool _stop = false;
    std::map<std::string, std::deque<Point>> _history; ///< guarded by _mutex
    std::thread _thread;
};

} // namespace msgbus::core::console
