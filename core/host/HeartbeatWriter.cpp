#include "core/host/HeartbeatWriter.h"

#include "core/db/Database.h"
#include "core/util/BuildVersion.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <msgbus/Error.h>

#include <Poco/Environment.h>
#include <Poco/Logger.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace msgbus::core {
namespace {

Poco::Logger& log() {
    return Poco::Logger::get("msgbus.host");
}

/// One session, never the workers' pool, and statements bounded well below a stop's patience.
DatabaseSettings ownConnection(DatabaseSettings db) {
    db.poolMax = 1;
    db.poolWait = HeartbeatWriter::kStatementTimeout;
    if (db.ioTimeout.count() == 0 || db.ioTimeout > HeartbeatWriter::kStatementTimeout)
        db.ioTimeout = HeartbeatWriter::kStatementTimeout;
    return db;
}

std::string randomInstance() {
    std::string text = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    text.erase(std::remove(text.begin(), text.end(), '-'), text.end());
    return text;
}

std::string machineName() {
    try {
        return Poco::Environment::nodeName();
    } catch (const Poco::Exception&) {
        return "localhost";
    }
}

} // namespace

std::vector<std::string> pluginSetText(const PluginSet& set) {
    std::vector<std::string> out;
    for (const auto& library : set.libraries)
        out.push_back(std::string(library->abi().name) + " " + library->abi().version);
    return out;
}

HeartbeatWriter::HeartbeatWriter(const DatabaseSettings& db, HostSettings host,
                                 std::vector<std::string> consumers, PluginsNow plugins)
    : _database(std::make_unique<Database>(ownConnection(db))),
      _store(_database->dialect(), host.table), _host(std::move(host)),
      _consumers(std::move(consumers)), _plugins(std::move(plugins)), _hostname(machineName()),
      _instance(randomInstance()), _startedAt(nowMillis()), _thread([this] { run(); }) {}

HeartbeatWriter::~HeartbeatWriter() {
    {
        std::lock_guard lock(_mutex);
        _stop = true;
    }
    _wake.notify_all();
    _thread.join();
}

void HeartbeatWriter::beatSoon() {
    {
        std::lock_guard lock(_mutex);
        _soon = true;
    }
    _wake.notify_all();
}

std::string HeartbeatWriter::id() const {
    std::lock_guard lock(_mutex);
    return _id;
}

void HeartbeatWriter::run() {
    for (;;) {
        beatOnce();
        std::unique_lock lock(_mutex);
        _wake.wait_for(lock, _host.heartbeat, [this] { return _stop || _soon; });
        _soon = false;
        if (_stop)
            break;
    }
    markStopped();
}

HostBeat HeartbeatWriter::current() const {
    HostBeat beat;
    beat.id = id();
    beat.instance = _instance;
    beat.hostname = _hostname;
    beat.pid = static_cast<std::int64_t>(::getpid());
    beat.version = msgbusVersion();
    auto [generation, plugins] = _plugins();
    beat.pluginGeneration = static_cast<std::int64_t>(generation);
    beat.plugins = std::move(plugins);
    beat.consumers = _consumers;
    beat.beatIntervalMs = _host.heartbeat.count();
    beat.startedAt = _startedAt;
    beat.lastBeat = nowMillis();
    return beat;
}

void HeartbeatWriter::beatOnce() {
    try {
        auto session = _database->session();
        HostBeat beat = current();
        if (_claimed && !_store.beat(*session, beat)) {
            log().warning("heartbeat: the row %s of host.table belongs to another process now; "
                          "choosing an id again",
                          beat.id);
            _claimed = false;
        }
        if (!_claimed)
            claim(*session, beat);
        if (beat.lastBeat - _lastForget > 3600 * 1000) {
            _lastForget = beat.lastBeat;
            const auto cutoff = std::chrono::duration_cast<std::chrono::milliseconds>(kForgetAfter);
            _store.forgetOlderThan(*session, beat.lastBeat - cutoff.count());
        }
        if (_failures > 0)
            log().information("heartbeat: written again after %s skipped beat(s)",
                              std::to_string(_failures.load()));
        _failures = 0;
    } catch (...) {
        // The row only informs the console: the host goes on without it.
        if (_failures++ == 0)
            log().warning("heartbeat: cannot write to %s (the database away, or the table "
                          "missing: msgbus setup creates it); beats are skipped until one is "
                          "written (one line then): %s",
                          _store.table(), currentErrorText());
    }
}

void HeartbeatWriter::claim(Poco::Data::Session& session, HostBeat beat) {
    const std::string base = _host.id.empty() ? _hostname : _host.id;
    const std::string pid = std::to_string(beat.pid);
    for (const std::string& candidate :
         {base, base + ":" + pid, base + ":" + pid + ":" + _instance.substr(0, 8)}) {
        beat.id = candidate;
        if (!_store.insert(session, beat)) {
            auto row = _store.find(session, candidate);
            if (!row)
                continue; // removed in between: another candidate, or the next beat, inserts
            const bool mine =
                row->instance == _instance ||
                (!isLive(*row, beat.lastBeat) && _store.takeOver(session, beat, row->instance));
            if (!mine) {
                log().warning("heartbeat: host id %s is in use by a live host (pid %s on %s); "
                              "this host tries another (set host.id to name each host)",
                              candidate, std::to_string(row->pid), row->hostname);
                continue;
            }
        }
        {
            std::lock_guard lock(_mutex);
            _id = candidate;
        }
        _claimed = true;
        log().information("heartbeat: this host is %s in %s, every %sms", candidate, _store.table(),
                          std::to_string(_host.heartbeat.count()));
        return;
    }
    throw Error("no free host id in " + _store.table() + " for " + base);
}

bool HeartbeatWriter::isLive(const HostBeat& row, std::int64_t nowMs) const {
    if (row.stoppedAt || row.lastBeat < nowMs - 10 * std::max<std::int64_t>(row.beatIntervalMs, 1))
        return false;
    // A process of this machine that has ended (a crash, kill -9, then a restart) is not live
    // however recent its last beat.
    if (row.hostname == _hostname && row.pid > 0 && ::kill(static_cast<pid_t>(row.pid), 0) != 0 &&
        errno == ESRCH)
        return false;
    return true;
}

void HeartbeatWriter::markStopped() {
    // After a failed beat the database is away: a stop must not wait for it.
    if (!_claimed || _failures > 0)
        return;
    try {
        auto session = _database->session();
        _store.markStopped(*session, id(), _instance, nowMillis());
    } catch (...) {
        log().warning("heartbeat: the row %s could not be marked stopped (the console shows it "
                      "gone once its beats are old): %s",
                      id(), currentErrorText());
    }
}

} // namespace msgbus::core
