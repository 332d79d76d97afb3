#pragma once

#include <Poco/Data/Session.h>

#include <chrono>
#include <string>

namespace msgbus::core {

/// A MariaDB/MySQL named lock (GET_LOCK) held by one session from construction to destruction:
/// processes sharing a database take turns at a job (the partition maintenance of several
/// hosts). The server releases it too when the session's connection ends, so a process that
/// dies holding it does not block the others.
///
/// The name is per database: "<prefix>.<hash of DATABASE() and key>" (lock names are server-wide
/// and at most 64 characters). Not thread-safe; the session must outlive the lock.
class AdvisoryLock {
public:
    /// Waits up to wait for the lock (0: tries once). held() says whether it was taken.
    AdvisoryLock(Poco::Data::Session& session, const std::string& prefix, const std::string& key,
                 std::chrono::seconds wait);
    ~AdvisoryLock();
    AdvisoryLock(const AdvisoryLock&) = delete;
    AdvisoryLock& operator=(const AdvisoryLock&) = delete;

    bool held() const noexcept { return _held; }
    const std::string& name() const noexcept { return _name; }

private:
    Poco::Data::Session& _session;
    std::string _name;
    bool _held = false;
};

} // namespace msgbus::core
