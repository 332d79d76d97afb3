#include "core/failed/FailedQuery.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <Poco/String.h>

#include <algorithm>
#include <map>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

// The row's time: when it became failed, else when its failure was first stored.
constexpr const char* kTime = "COALESCE(failed_at, created_at)";
// Ids per IN (...) list.
constexpr std::size_t kChunk = 500;

/// text for LIKE with '!' as the escape: its own wildcards match themselves.
std::string likeEscaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '%' || c == '_' || c == '!')
            out += '!';
        out += c;
    }
    return out;
}

template <class T> std::optional<T> valueOf(const Poco::Nullable<T>& v) {
    return v.isNull() ? std::nullopt : std::optional<T>(v.value());
}

} // namespace

FailedQuery::FailedQuery(Dialect dialect, std::string table)
    : _dialect(dialect), _table(std::move(table)) {
    validateSqlIdentifier(_table, "failed.table");
}

FailedQuery::Where FailedQuery::where(const FailedFilter& f, bool groupLevel) const {
    Where w;
    std::vector<std::string> terms;
    if (f.status == "failed")
        terms.push_back("queue_name = 'failed'");
    else if (f.status == "retry")
        terms.push_back("queue_name IN ('retry', 'running')");
    if (f.group == FailedFilter::kUngrouped) {
        terms.push_back("failure_group IS NULL");
    } else if (!f.group.empty()) {
        terms.push_back("failure_group = ?");
        w.params.push_back(f.group);
    }
    // The groups page filters these on the groups themselves, after an index-only scan.
    if (!groupLevel) {
        for (const auto& [column, value] :
             {std::pair{"source", &f.source}, std::pair{"message_name", &f.name},
              std::pair{"error_class", &f.errorClass}})
            if (!value->empty()) {
                terms.push_back(std::string(column) + " = ?");
                w.params.push_back(*value);
            }
    }
    if (f.since)
        terms.push_back(std::string(kTime) + " >= " + std::to_string(*f.since));
    if (f.until)
        terms.push_back(std::string(kTime) + " < " + std::to_string(*f.until));
    if (!f.text.empty()) {
        terms.push_back("LOWER(error_message) LIKE ? ESCAPE '!'");
        w.params.push_back("%" + likeEscaped(Poco::toLower(f.text)) + "%");
    }
    for (std::size_t i = 0; i < terms.size(); ++i)
        w.sql += (i ? " AND " : " WHERE ") + terms[i];
    return w;
}

std::vector<FailedGroupRow> FailedQuery::groups(Poco::Data::Session& session,
                                                const FailedFilter& filter) {
    auto out = aggregate(session, where(filter, true));
    const bool byColumns =
        !filter.source.empty() || !filter.name.empty() || !filter.errorClass.empty();
    const auto ungrouped = [](const FailedGroupRow& g) {
        return g.group == FailedFilter::kUngrouped;
    };
    // The rows no group was computed for yet share no name, source or class: they are counted
    // by their own columns (few rows: the console groups them as it goes, through an index).
    if (byColumns && (filter.group.empty() || filter.group == FailedFilter::kUngrouped)) {
        std::erase_if(out, ungrouped);
        FailedFilter rows = filter;
        rows.group = FailedFilter::kUngrouped;
        for (auto& g : aggregate(session, where(rows, false)))
            out.push_back(std::move(g));
    }
    // A group's rows share its name, source and class (they are part of its key), so a group
    // whose sample matches has every row matching: these filters select whole groups, and the
    // groups' counts stay index-only (a row-level filter would read a million rows).
    std::erase_if(out, [&filter, &ungrouped](const FailedGroupRow& g) {
        return !ungrouped(g) &&
               ((!filter.source.empty() && g.source != filter.source) ||
                (!filter.name.empty() && g.messageName.value_or("") != filter.name) ||
                (!filter.errorClass.empty() && g.errorClass != filter.errorClass));
    });
    std::sort(out.begin(), out.end(), [](const FailedGroupRow& a, const FailedGroupRow& b) {
        return a.count != b.count ? a.count > b.count : a.group < b.group;
    });
    return out;
}

std::vector<FailedGroupRow> FailedQuery::aggregate(Poco::Data::Session& session, Where w) {
    std::vector<Poco::Nullable<std::string>> keys;
    std::vector<Poco::Int64> counts, firsts, lasts, samples;
    Poco::Data::Statement select(session);
    select << "SELECT failure_group, COUNT(*), MIN(" + std::string(kTime) + "), MAX(" + kTime +
                  "), MIN(id) FROM " + _table + w.sql + " GROUP BY failure_group",
        into(keys), into(counts), into(firsts), into(lasts), into(samples);
    for (auto& p : w.params)
        select, use(p);
    select.execute();
    std::vector<FailedGroupRow> out(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        out[i].group = keys[i].isNull() ? FailedFilter::kUngrouped : keys[i].value();
        out[i].count = counts[i];
        out[i].firstSeen = firsts[i];
        out[i].lastSeen = lasts[i];
    }
    sampleGroups(session, out, {samples.begin(), samples.end()});
    return out;
}

void FailedQuery::sampleGroups(Poco::Data::Session& session, std::vector<FailedGroupRow>& groups,
                               const std::vector<std::int64_t>& sampleIds) {
    std::map<std::int64_t, std::size_t> byId;
    for (std::size_t i = 0; i < sampleIds.size(); ++i)
        byId[sampleIds[i]] = i;
    for (std::size_t from = 0; from < sampleIds.size(); from += kChunk) {
        std::string list;
        for (std::size_t i = from; i < std::min(sampleIds.size(), from + kChunk); ++i)
            list += (i > from ? "," : "") + std::to_string(sampleIds[i]);
        std::vector<Poco::Int64> ids;
        std::vector<Poco::Nullable<std::string>> names;
        std::vector<std::string> sources, classes, errors;
        session << "SELECT id, message_name, source, error_class, error_message FROM " + _table +
                       " WHERE id IN (" + list + ")",
            into(ids), into(names), into(sources), into(classes), into(errors), now;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            auto& g = groups[byId.at(ids[i])];
            g.messageName = valueOf(names[i]);
            g.source = sources[i];
            g.errorClass = classes[i];
            g.sampleError = errors[i];
        }
    }
}

std::vector<FailedListRow> FailedQuery::list(Poco::Data::Session& session,
                                             const FailedFilter& filter,
                                             std::optional<std::int64_t> after, int limit) {
    Where w = where(filter, false);
    if (after)
        w.sql += (w.sql.empty() ? " WHERE id > " : " AND id > ") + std::to_string(*after);
    return select(session, std::move(w), limit);
}

std::vector<FailedListRow> FailedQuery::byIds(Poco::Data::Session& session,
                                              const std::vector<std::int64_t>& ids) {
    std::vector<FailedListRow> out;
    for (std::size_t from = 0; from < ids.size(); from += kChunk) {
        Where w;
        w.sql = " WHERE id IN (";
        const std::size_t to = std::min(ids.size(), from + kChunk);
        for (std::size_t i = from; i < to; ++i)
            w.sql += (i > from ? "," : "") + std::to_string(ids[i]);
        w.sql += ")";
        auto rows = select(session, std::move(w), static_cast<int>(to - from));
        out.insert(out.end(), rows.begin(), rows.end());
    }
    std::sort(out.begin(), out.end(),
              [](const FailedListRow& a, const FailedListRow& b) { return a.id < b.id; });
    return out;
}

std::vector<FailedListRow> FailedQuery::select(Poco::Data::Session& session, Where w, int limit) {
    std::vector<Poco::Int64> ids, times, attempts, available;
    std::vector<std::string> queues, sources, classes, errors;
    std::vector<Poco::Nullable<std::string>> messageIds, names;
    Poco::Data::Statement select(session);
    select << "SELECT id, queue_name, source, hex(message_id), message_name, error_class, "
              "error_message, " +
                  std::string(kTime) + ", attempts, available_at FROM " + _table + w.sql +
                  " ORDER BY id LIMIT " + std::to_string(limit),
        into(ids), into(queues), into(sources), into(messageIds), into(names), into(classes),
        into(errors), into(times), into(attempts), into(available);
    for (auto& p : w.params)
        select, use(p);
    select.execute();
    std::vector<FailedListRow> out(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto& r = out[i];
        r.id = ids[i];
        r.queueName = queues[i];
        r.source = sources[i];
        r.messageIdHex = valueOf(messageIds[i]);
        r.messageName = valueOf(names[i]);
        r.errorClass = classes[i];
        r.error = errors[i];
        r.time = times[i];
        r.attempts = static_cast<int>(attempts[i]);
        r.availableAt = available[i];
    }
    return out;
}

std::int64_t FailedQuery::count(Poco::Data::Session& session, const FailedFilter& filter,
                                std::optional<std::int64_t> upTo) {
    Where w = where(filter, false);
    Poco::Int64 n = 0;
    Poco::Data::Statement select(session);
    if (upTo)
        select << "SELECT COUNT(*) FROM (SELECT 1 FROM " + _table + w.sql + " LIMIT " +
                      std::to_string(*upTo + 1) + ") capped",
            into(n);
    else
        select << "SELECT COUNT(*) FROM " + _table + w.sql, into(n);
    for (auto& p : w.params)
        select, use(p);
    select.execute();
    return n;
}

std::vector<std::int64_t> FailedQuery::ids(Poco::Data::Session& session, const FailedFilter& filter,
                                           int limit) {
    Where w = where(filter, false);
    std::vector<Poco::Int64> ids;
    Poco::Data::Statement select(session);
    select << "SELECT id FROM " + _table + w.sql + " ORDER BY id LIMIT " + std::to_string(limit),
        into(ids);
    for (auto& p : w.params)
        select, use(p);
    select.execute();
    return {ids.begin(), ids.end()};
}

} // namespace msgbus::core
