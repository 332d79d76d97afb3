#pragma once

#include "core/config/Settings.h"
#include "core/db/HeartbeatStore.h"
#include "core/plugins/PluginSet.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace msgbus::core {

class Database;

/// The host's heartbeat row (host.table): written at start, every host.heartbeat_ms and marked
/// stopped when the host stops, on a thread and a database connection of its own, so a beat
/// never waits for a worker's session nor a worker for a beat.
///
/// The row's id is host.id or the machine's host name. A live host (a beat within 10 intervals,
/// not stopped, and not a process of this machine that has ended) keeps its id: a second host
/// under the same name beats as "<name>:<pid>" and says so once in the log. A dead host's row is
/// taken over, so a host that restarts keeps its row. A failing write (database away, table
/// missing) is skipped and logged once per streak, never thrown: the heartbeat cannot fail the
/// host. Rows without a beat for kForgetAfter are removed (at start and hourly).
///
/// The thread starts in the constructor; the destructor marks the row stopped (unless the last
/// beat failed; bounded by the connection's I/O timeout, at most kStatementTimeout) and joins
/// it. id() and beatSoon() are
/// thread-safe.
class HeartbeatWriter {
public:
    /// The plugin generation in use and its set ("<name> <version>" per library).
    using PluginsNow = std::function<std::pair<std::uint64_t, std::vector<std::string>>()>;

    static constexpr std::chrono::hours kForgetAfter{7 * 24};
    static constexpr std::chrono::milliseconds kStatementTimeout{5000};

    HeartbeatWriter(const DatabaseSettings& db, HostSettings host,
                    std::vector<std::string> consumers, PluginsNow plugins);
    ~HeartbeatWriter();
    HeartbeatWriter(const HeartbeatWriter&) = delete;
    HeartbeatWriter& operator=(const HeartbeatWriter&) = delete;

    /// Beats now instead of at the end of the interval (after a reload, so the row shows the
    /// new generation at once).
    void beatSoon();

    /// The id the row has (empty before the first successful beat).
    std::string id() const;

    /// Beats skipped in a row since the last one written (the database away).
    int skippedBeats() const noexcept { return _failures.load(); }

private:
    void run();
    void beatOnce();
    HostBeat current() const;
    void claim(Poco::Data::Session& session, HostBeat beat);
    bool isLive(const HostBeat& row, std::int64_t nowMs) const;
    void markStopped();

    std::unique_ptr<Database> _database;
    HeartbeatStore _store;
    const HostSettings _host;
    const std::vector<std::string> _consumers;
    const PluginsNow _plugins;
    const std::string _hostname;
    const std::string _instance;
    const std::int64_t _startedAt;
    std::int64_t _lastForget = 0;
    bool _claimed = false;
    std::atomic<int> _failures{0};
    mutable std::mutex _mutex;
    std::condition_variable _wake;
    bool _stop = false;
    bool _soon = false;
    std::string _id; ///< guarded by _mutex
    std::thread _thread;
};

/// "<name> <version>" of each library of a plugin set, in load order.
std::vector<std::string> pluginSetText(const PluginSet& set);

} // namespace msgbus::core
