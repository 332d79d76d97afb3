#include "core/inbox/RetryWorker.h"
#include "core/util/ErrorText.h"

#include "core/failed/StoredEnvelope.h"
#include "core/util/Backoff.h"
#include "core/util/Clock.h"

namespace msgbus::core {

RetryWorker::RetryWorker(Database& database, PluginRegistry& plugins, const Settings& settings,
                         Metrics& metrics, std::function<void()> onOutboxWrite)
    : _database(database), _plugins(plugins), _settings(settings),
      _failed(database.dialect(), settings.failedTable), _log(Poco::Logger::get("msgbus.retry")) {
    for (const auto& consumer : settings.inbox.consumers)
        _processors.emplace("amqp:" + consumer.name,
                            std::make_unique<MessageProcessor>(database, settings, metrics,
                                                               consumer.name, onOutboxWrite));
}

int RetryWorker::retryDue() {
    std::vector<FailedRecord> rows;
    {
        auto session = _database.session();
        rows = _failed.claimDueRetries(*session, 100, nowMillis());
    }
    auto plugins = _plugins.current();
    int attempted = 0;
    for (const auto& row : rows) {
        auto it = _processors.find(row.source);
        if (it == _processors.end())
            continue;
        WireMessage wire;
        try {
            wire = envelopeFromJson(row.envelopeJson, row.body);
        } catch (const std::exception& e) {
            _log.error("retry row %s: stored envelope unreadable: %s", std::to_string(row.id),
                       errorText(e));
            continue;
        }
        it->second->process(*plugins, wire, row.attempts + 1, row.id);
        ++attempted;
    }
    return attempted;
}

void RetryWorker::run(StopSignal& stop) {
    Backoff backoff = Backoff::forOutage();
    int failures = 0;
    while (!stop.stopRequested()) {
        try {
            int n = retryDue();
            failures = 0;
            if (n == 0)
                stop.sleepFor(std::chrono::milliseconds(200));
        } catch (const std::exception& e) {
            ++failures;
            auto delay = backoff.delay(failures);
            _log.warning("retry worker: %s (retrying in %sms)", errorText(e),
                         std::to_string(delay.count()));
            stop.sleepFor(delay);
        }
    }
}

} // namespace msgbus::core
