#include "core/outbox/DeliveryReplay.h"

#include "core/db/Database.h"
#include "core/db/Transaction.h"
#include "core/util/Clock.h"

#include <algorithm>
#include <map>

namespace msgbus::core {

DeliveryReplay::DeliveryReplay(Database& database, Poco::Data::Session& session,
                               DeliveredStore& store, const RowFilter& given,
                               std::int64_t startedMs)
    : _database(database), _session(session), _store(store), _window(given) {
    if (_window.ids.empty() && !_window.until)
        _window.until = startedMs;
    _window.lastKey = store.lastId(session);
    if (_window.ids.empty())
        return;
    std::map<std::string, std::int64_t> latest; // message id -> its latest delivery
    for (const auto& record : store.list(session, _window, 1000000))
        latest.emplace(record.messageId, record.id); // newest first: the first one stays
    for (const auto& id : _window.ids) {
        auto it = latest.find(id.toString());
        if (it == latest.end())
            _missing.push_back(id.toString());
        else
            _idKeys.push_back(it->second);
    }
}

std::int64_t DeliveryReplay::total() {
    return byIds() ? static_cast<std::int64_t>(_idKeys.size()) : _store.count(_session, _window);
}

DeliveryReplay::Result DeliveryReplay::run(std::size_t batch,
                                           const std::function<void(std::int64_t)>& progress) {
    Result result;
    if (byIds()) {
        for (std::size_t i = 0; i < _idKeys.size(); i += batch)
            page({_idKeys.begin() + static_cast<std::ptrdiff_t>(i),
                  _idKeys.begin() +
                      static_cast<std::ptrdiff_t>(std::min(_idKeys.size(), i + batch))},
                 result, progress);
        return result;
    }
    for (std::int64_t after = 0;;) {
        auto keys = _store.keysAfter(_session, _window, after, static_cast<int>(batch));
        if (keys.empty())
            return result;
        after = keys.back();
        page(keys, result, progress);
    }
}

void DeliveryReplay::page(const std::vector<std::int64_t>& keys, Result& result,
                          const std::function<void(std::int64_t)>& progress) {
    // One transaction a page: a long replay never holds many locks, and what it did stays
    // done if it is interrupted.
    Transaction tx(_session, _database.dialect());
    result.written += static_cast<std::int64_t>(_store.replay(_session, keys, nowMillis()));
    tx.commit();
    result.matched += static_cast<std::int64_t>(keys.size());
    if (progress)
        progress(static_cast<std::int64_t>(keys.size()));
}

} // namespace msgbus::core
