// OutboxStore's reading of the rows it claimed, by a Poco statement or a MariaDB text query,
// and of the large columns their windows cut.
#include "core/outbox/OutboxStore.h"

#include <Poco/Nullable.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

std::vector<OutboxRow> OutboxStore::readRows(Poco::Data::Statement& select) const {
    std::vector<Poco::Int64> seqs;
    std::vector<std::string> ids;
    std::vector<std::string> names;
    std::vector<Poco::Nullable<std::string>> keys;
    LargeColumnReader::Results heavy;
    std::vector<Poco::Int64> created;
    std::vector<Poco::Int64> attempts;
    std::vector<Poco::Int64> available;
    select, into(seqs), into(ids), into(names), into(keys);
    _heavy.bind(select, heavy);
    select, into(created), into(attempts), into(available);
    select.execute();

    std::vector<OutboxRow> rows;
    rows.reserve(seqs.size());
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        OutboxRow row;
        row.seq = seqs[i];
        // One row with a bad id must not fail the whole claim: every relay would stop on the
        // same head row for ever.
        try {
            row.id = Id::parse(ids[i]);
        } catch (const std::exception& e) {
            row.readError = "outbox row seq " + std::to_string(seqs[i]) + ": message_id (hex " +
                            ids[i].substr(0, 80) + ") is not a valid id: " + e.what();
        }
        row.name = std::move(names[i]);
        if (!keys[i].isNull())
            row.partitionKey = keys[i].value();
        row.truncated = heavy.take(i, row.headersJson, row.body);
        row.createdAt = created[i];
        row.attempts = static_cast<int>(attempts[i]);
        row.availableAt = available[i];
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<OutboxRow> OutboxStore::readTextRows(const std::vector<MysqlLink::TextRow>& cells) {
    const auto text = [](const std::optional<std::string>& cell) { return cell.value_or(""); };
    const auto number = [](const std::optional<std::string>& cell) -> std::int64_t {
        return cell ? std::stoll(*cell) : 0;
    };
    std::vector<OutboxRow> rows;
    rows.reserve(cells.size());
    for (const auto& c : cells) {
        OutboxRow row;
        row.seq = number(c.at(0));
        const std::string id = text(c.at(1));
        // As readRows: one row with a bad id must not fail the whole claim.
        try {
            row.id = Id::parse(id);
        } catch (const std::exception& e) {
            row.readError = "outbox row seq " + std::to_string(row.seq) + ": message_id (hex " +
                            id.substr(0, 80) + ") is not a valid id: " + e.what();
        }
        row.name = text(c.at(2));
        row.partitionKey = c.at(3);
        row.headersJson = text(c.at(4));
        row.body = text(c.at(6));
        row.truncated =
            LargeColumnReader::wasCut(row.headersJson, number(c.at(5)), row.body, number(c.at(7)));
        row.createdAt = number(c.at(8));
        row.attempts = static_cast<int>(number(c.at(9)));
        row.availableAt = number(c.at(10));
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<OutboxRow> OutboxStore::completeRows(Poco::Data::Session& session,
                                                 std::vector<OutboxRow> rows) {
    // After the claim statement is gone: MySQL allows one open statement result per connection.
    for (auto& row : rows)
        if (row.truncated) {
            _heavy.readWhole(session, _table, "seq", row.seq, row.headersJson, row.body);
            row.truncated = false;
        }
    return rows;
}

} // namespace msgbus::core
