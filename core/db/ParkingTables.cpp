#include "core/db/ParkingTables.h"

namespace msgbus::core {

// One row per blocked key. head_message_id is the message the key waits for (its retry or
// failed row); NULL once that head is resolved and the parked messages are due to run. The
// consumer prefix of the key serves the release's scan of one consumer's sequences.
TableSpec sequencesTable(const TableNames& t) {
    return TableSpec{"sequences",
                     sequencesTableOf(t.dedup),
                     {
                         {"consumer", "VARCHAR(128) NOT NULL", "TEXT NOT NULL"},
                         {"partition_key", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
                         {"head_message_id", "BINARY(16) NULL", "BLOB NULL"},
                         {"opened_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                     },
                     {"consumer", "partition_key"},
                     {},
                     true};
}

// The id is the arrival order. A parked message keeps the wire form as the failed table does
// (headers as typed JSON, the body byte for byte), so releasing it re-creates what arrived.
TableSpec parkedTable(const TableNames& t) {
    const std::string parked = parkedTableOf(t.dedup);
    return TableSpec{
        "parked",
        parked,
        {
            {"id", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
             "INTEGER PRIMARY KEY AUTOINCREMENT"},
            {"consumer", "VARCHAR(128) NOT NULL", "TEXT NOT NULL"},
            {"partition_key", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
            {"message_id", "BINARY(16) NOT NULL", "BLOB NOT NULL"},
            {"message_name", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
            {"headers", "MEDIUMTEXT NOT NULL", "TEXT NOT NULL"},
            {"body", "MEDIUMBLOB NOT NULL", "BLOB NOT NULL"},
            {"parked_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
        },
        {"id"},
        {{"uq_" + parked + "_message", {"consumer", "message_id"}, true, "one row per message"},
         {"ix_" + parked + "_key",
          {"consumer", "partition_key", "id"},
          false,
          "the release of one key in arrival order"}},
        false};
}

} // namespace msgbus::core
