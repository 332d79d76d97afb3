#pragma once

#include "core/db/Dialect.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// One host's heartbeat row (host.table).
struct HostBeat {
    std::string id;       ///< host.id, or the host name (":<pid>" when that one was taken)
    std::string instance; ///< random per process: which process owns the row now
    std::string hostname;
    std::int64_t pid = 0;
    std::string version;
    std::int64_t pluginGeneration = 0;
    std::vector<std::string> plugins; ///< "<name> <version>" of each loaded library
    std::vector<std::string> consumers;
    std::int64_t beatIntervalMs = 0;
    std::int64_t startedAt = 0;
    std::int64_t lastBeat = 0;
    std::optional<std::int64_t> stoppedAt; ///< set when the host stopped cleanly
};

/// SQL on the hosts table. Stateless apart from the table name; every call runs on the
/// caller's session. Throws what the database throws.
class HeartbeatStore {
public:
    HeartbeatStore(Dialect dialect, std::string table);

    /// Inserts the row unless one with its id exists; true when inserted.
    bool insert(Poco::Data::Session& session, const HostBeat& beat);

    /// Updates the row of beat.id while beat.instance owns it (every column but id, instance,
    /// hostname, pid and started_at); false when another process owns it or it is gone.
    bool beat(Poco::Data::Session& session, const HostBeat& beat);

    /// Gives the row of beat.id to beat.instance (every column) if previousInstance still owns
    /// it: the one of two hosts taking over a dead host's row that gets it.
    bool takeOver(Poco::Data::Session& session, const HostBeat& beat,
                  const std::string& previousInstance);

    /// Marks the row stopped at atMs while instance owns it.
    void markStopped(Poco::Data::Session& session, const std::string& id,
                     const std::string& instance, std::int64_t atMs);

    /// Deletes the rows whose last beat is older than cutoffMs; returns how many went.
    std::size_t forgetOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs);

    std::optional<HostBeat> find(Poco::Data::Session& session, const std::string& id);

    /// Every row, by id.
    std::vector<HostBeat> list(Poco::Data::Session& session);

    const std::string& table() const noexcept { return _table; }

private:
    /// Updates the row of beat.id while ownerInstance owns it: the beat's columns, and with
    /// takeOver also the owner's own (instance, hostname, pid, started_at).
    bool update(Poco::Data::Session& session, const HostBeat& beat,
                const std::string& ownerInstance, bool takeOver);
    std::vector<HostBeat> select(Poco::Data::Session& session, const std::string& where,
                                 std::string key);

    Dialect _dialect;
    std::string _table;
};

/// ["a","b"] for texts, and back (a value that is not such an array gives nothing).
std::string jsonTextArray(const std::vector<std::string>& texts);
std::vector<std::string> textsOfJsonArray(const std::string& json);

} // namespace msgbus::core
