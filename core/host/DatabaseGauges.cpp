#include "core/host/DatabaseGauges.h"

#include "core/db/Database.h"
#include "core/failed/FailedStore.h"
#include "core/outbox/OutboxStore.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <Poco/Logger.h>

namespace msgbus::core {

DatabaseGauges::DatabaseGauges(Database& database, Tables tables,
                               std::chrono::milliseconds interval)
    : _database(database), _tables(std::move(tables)), _interval(interval),
      _thread([this] { run(); }) {}

DatabaseGauges::~DatabaseGauges() {
    {
        std::lock_guard lock(_mutex);
        _stop = true;
    }
    _wake.notify_all();
    _thread.join();
}

std::optional<DatabaseGauges::Values> DatabaseGauges::snapshot() const {
    std::lock_guard lock(_mutex);
    return _last;
}

void DatabaseGauges::run() {
    for (;;) {
        refresh();
        std::unique_lock lock(_mutex);
        if (_wake.wait_for(lock, _interval, [this] { return _stop; }))
            return;
    }
}

void DatabaseGauges::refresh() {
    try {
        auto session = _database.trySession();
        if (!session)
            return; // every session is at work: the last values stay, a little older
        Values values;
        auto [pending, oldest] = OutboxStore(_database.dialect(), _tables.outbox).depth(**session);
        auto [retry, failed] = FailedStore(_database.dialect(), _tables.failed).counts(**session);
        values.outboxPending = pending;
        values.oldestPendingCreatedAt = oldest;
        values.retryRows = retry;
        values.failedRows = failed;
        values.computedAt = nowMillis();
        std::lock_guard lock(_mutex);
        _last = values;
    } catch (const std::exception& e) {
        // The database is down or the tables are missing: /ready reports the former; the
        // gauges keep their last values and show their age.
        Poco::Logger::get("msgbus.metrics")
            .debug("database gauges not refreshed: %s", errorText(e));
    }
}

} // namespace msgbus::core
