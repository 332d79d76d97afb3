#include "core/db/AdvisoryLock.h"

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

AdvisoryLock::AdvisoryLock(Poco::Data::Session& session, const std::string& prefix,
                           const std::string& key, std::chrono::seconds wait)
    : _session(session) {
    std::string k = key;
    std::string p = prefix;
    _session << "SELECT CONCAT(?, '.', LEFT(SHA1(CONCAT(COALESCE(DATABASE(), ''), '.', ?)), 24))",
        use(p), use(k), into(_name), now;
    Poco::Nullable<Poco::Int64> got;
    Poco::Int64 seconds = wait.count();
    _session << "SELECT GET_LOCK(?, ?)", use(_name), use(seconds), into(got), now;
    _held = !got.isNull() && got.value() == 1;
}

AdvisoryLock::~AdvisoryLock() {
    if (!_held)
        return;
    try {
        _session << "DO RELEASE_LOCK(?)", use(_name), now;
    } catch (...) {
        // The connection is gone, and the server released the lock with it.
    }
}

} // namespace msgbus::core
