#include "core/outbox/LaneOwnership.h"
#include "core/util/ErrorText.h"

#include <Poco/Checksum.h>
#include <Poco/Data/Session.h>
#include <Poco/Nullable.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {
constexpr auto refreshEvery = std::chrono::seconds(2);
// Lanes preferred by another thread of this process are left to it for this long.
constexpr auto graceForOthers = std::chrono::seconds(3);
} // namespace

LaneOwnership::LaneOwnership(Database& database, std::string table, int lanes, int index,
                             int workers)
    : _database(database), _table(std::move(table)), _lanes(lanes), _index(index),
      _workers(std::max(1, workers)), _started(std::chrono::steady_clock::now()),
      _log(Poco::Logger::get("msgbus.relay")) {
    if (_database.dialect() == Dialect::SQLite)
        for (int lane = 0; lane < _lanes; ++lane)
            _owned.insert(lane);
}

LaneOwnership::~LaneOwnership() {
    if (_session) {
        try {
            *_session << "SELECT RELEASE_ALL_LOCKS()", now;
        } catch (...) {
            // Closing the connection releases them anyway.
        }
    }
}

int LaneOwnership::laneOf(const std::string& partitionKey, int lanes) {
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    crc.update(partitionKey);
    return static_cast<int>(crc.checksum() % static_cast<Poco::UInt32>(lanes));
}

bool LaneOwnership::tryLock(int lane) {
    std::string name = "msgbus." + _table + ".lane." + std::to_string(lane);
    Poco::Nullable<Poco::Int64> got;
    *_session << "SELECT GET_LOCK(?, 0)", useRef(name), into(got), now;
    return !got.isNull() && got.value() == 1;
}

void LaneOwnership::refresh() {
    if (_database.dialect() == Dialect::SQLite)
        return;
    auto nowTime = std::chrono::steady_clock::now();
    try {
        if (!_session) {
            _session.emplace(_database.openDedicated());
        } else {
            // Every batch: the locks live exactly as long as this connection, so a live
            // connection means the lanes are still ours.
            *_session << "SELECT 1", now;
        }
        if (nowTime - _lastRefresh < refreshEvery && !_owned.empty())
            return;
        _lastRefresh = nowTime;
        const bool takeAny = nowTime - _started >= graceForOthers;
        for (int lane = 0; lane < _lanes; ++lane) {
            if (_owned.count(lane))
                continue;
            if (lane % _workers != _index && !takeAny)
                continue;
            if (tryLock(lane)) {
                _owned.insert(lane);
                _log.information("relay %d: now owns ordered lane %d of %s", _index, lane, _table);
            }
        }
    } catch (const std::exception& e) {
        // The connection (and with it every lock) is gone: own nothing until retaken.
        _log.warning("relay %d: lane ownership connection lost, dropping %z lanes: %s", _index,
                     _owned.size(), errorText(e));
        _owned.clear();
        _session.reset();
    }
}

} // namespace msgbus::core
