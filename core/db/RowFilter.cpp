#include "core/db/RowFilter.h"

namespace msgbus::core {

using Poco::Data::Keywords::use;

namespace {

std::string placeholders(std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i)
        out += i ? ",?" : "?";
    return out;
}

std::string hexLiteral(const Id& id) {
    static const char* const digits = "0123456789ABCDEF";
    std::string out = "X'";
    for (auto byte : id.bytes()) {
        out += digits[byte >> 4];
        out += digits[byte & 0x0f];
    }
    return out + "'";
}

} // namespace

RowFilterSql::RowFilterSql(const RowFilter& filter, const std::string& timeColumn,
                           const std::string& keyColumn) {
    std::vector<std::string> terms;
    if (filter.since) {
        terms.push_back(timeColumn + " >= ?");
        _bounds.push_back(*filter.since);
    }
    if (filter.until) {
        terms.push_back(timeColumn + " < ?");
        _bounds.push_back(*filter.until);
    }
    if (filter.lastKey) {
        terms.push_back(keyColumn + " <= ?");
        _bounds.push_back(*filter.lastKey);
    }
    if (!filter.names.empty()) {
        terms.push_back("message_name IN (" + placeholders(filter.names.size()) + ")");
        _names = filter.names;
    }
    if (!filter.ids.empty()) {
        std::string in;
        for (const auto& id : filter.ids)
            in += (in.empty() ? "" : ",") + hexLiteral(id);
        terms.push_back("message_id IN (" + in + ")");
    }
    for (const auto& term : terms)
        _where += (_where.empty() ? " WHERE " : " AND ") + term;
}

std::string RowFilterSql::whereAnd(const std::string& extra) const {
    return _where + (_where.empty() ? " WHERE " : " AND ") + extra;
}

void RowFilterSql::bind(Poco::Data::Statement& statement) {
    for (auto& bound : _bounds)
        statement, use(bound);
    for (auto& name : _names)
        statement, use(name);
}

Poco::Data::RecordSet RowFilterSql::list(Poco::Data::Session& session, const std::string& key,
                                         const std::string& more, const std::string& table,
                                         const std::string& order, int limit) {
    Poco::Int64 max = limit;
    Poco::Data::Statement select(session);
    select << "SELECT " + key + ", hex(message_id), message_name, partition_key, created_at" +
                  more + " FROM " + table + _where + " ORDER BY " + order + " LIMIT ?";
    bind(select);
    select, use(max);
    select.execute();
    return Poco::Data::RecordSet(select);
}

ListedMessage listedMessageAt(const Poco::Data::RecordSet& rows, std::size_t row) {
    ListedMessage m;
    const std::string hex = rows.value(1, row).convert<std::string>();
    m.messageId = Id::isValid(hex) ? Id::parse(hex).toString() : hex;
    m.name = rows.value(2, row).convert<std::string>();
    if (!rows.value(3, row).isEmpty())
        m.partitionKey = rows.value(3, row).convert<std::string>();
    m.createdAt = rows.value(4, row).convert<Poco::Int64>();
    return m;
}

} // namespace msgbus::core
