// The table descriptions the DDL and `msgbus check` both come from.
#include "core/db/Schema.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

using namespace msgbus::core;

class SchemaSpecTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SchemaSpecTest);
    CPPUNIT_TEST(testNineTablesInTheirOrder);
    CPPUNIT_TEST(testOutboxAndDeliveredShareTheMessageColumns);
    CPPUNIT_TEST(testEveryStatementIsIdempotent);
    CPPUNIT_TEST(testMysqlTablesAreInnoDbUtf8mb4Binary);
    CPPUNIT_TEST(testSqliteOneColumnUniqueKeyIsAColumnConstraint);
    CPPUNIT_TEST(testIndexNamesFollowTheTableNames);
    CPPUNIT_TEST(testATableNameThatIsNoIdentifierIsRefusedNamingTheKey);
    CPPUNIT_TEST(testBaseSqlType);
    CPPUNIT_TEST_SUITE_END();

    static TableNames names() { return {"ob", "dd", "fl", "hs"}; }

    static std::vector<std::string> columnNames(const TableSpec& table) {
        std::vector<std::string> out;
        for (const auto& column : table.columns)
            out.push_back(column.name);
        return out;
    }

public:
    void testNineTablesInTheirOrder() {
        auto tables = Schema::tables(names());
        CPPUNIT_ASSERT_EQUAL(std::size_t(9), tables.size());
        const std::vector<std::string> roles{"outbox", "delivered", "dedup",     "runs",  "failed",
                                             "audit",  "hosts",     "sequences", "parked"};
        const std::vector<std::string> tableNames{"ob",      "ob_delivered", "dd",
                                                  "dd_runs", "fl",           "fl_audit",
                                                  "hs",      "dd_sequences", "dd_parked"};
        for (std::size_t i = 0; i < tables.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(roles[i], tables[i].role);
            CPPUNIT_ASSERT_EQUAL(tableNames[i], tables[i].name);
        }
    }

    void testOutboxAndDeliveredShareTheMessageColumns() {
        auto tables = Schema::tables(names());
        auto outbox = columnNames(tables[0]);
        auto delivered = columnNames(tables[1]);
        for (const std::string column :
             {"message_id", "message_name", "partition_key", "headers", "body", "created_at"}) {
            CPPUNIT_ASSERT(std::find(outbox.begin(), outbox.end(), column) != outbox.end());
            CPPUNIT_ASSERT(std::find(delivered.begin(), delivered.end(), column) !=
                           delivered.end());
        }
        CPPUNIT_ASSERT_EQUAL(std::string("seq"), outbox.front());
        CPPUNIT_ASSERT_EQUAL(std::string("id"), delivered.front());
    }

    void testEveryStatementIsIdempotent() {
        for (auto dialect : {Dialect::MySQL, Dialect::SQLite})
            for (const auto& sql : Schema::statements(dialect, names()))
                CPPUNIT_ASSERT_MESSAGE(sql, sql.find("IF NOT EXISTS") != std::string::npos);
    }

    void testMysqlTablesAreInnoDbUtf8mb4Binary() {
        auto statements = Schema::statements(Dialect::MySQL, names());
        CPPUNIT_ASSERT_EQUAL(std::size_t(9), statements.size()); // indexes are inline
        for (const auto& sql : statements)
            CPPUNIT_ASSERT_MESSAGE(sql, sql.find("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
                                                 "COLLATE=utf8mb4_bin") != std::string::npos);
        CPPUNIT_ASSERT(statements[0].find("UNIQUE KEY uq_ob_message_id (message_id)") !=
                       std::string::npos);
        CPPUNIT_ASSERT(statements[0].find("KEY ix_ob_available (available_at, seq)") !=
                       std::string::npos);
    }

    void testSqliteOneColumnUniqueKeyIsAColumnConstraint() {
        auto statements = Schema::statements(Dialect::SQLite, names());
        CPPUNIT_ASSERT(statements[0].find("message_id BLOB NOT NULL UNIQUE") != std::string::npos);
        const bool separateUnique =
            std::any_of(statements.begin(), statements.end(), [](const std::string& sql) {
                // The parked table's unique key has two columns: an index of its own.
                return sql.find("UNIQUE INDEX") != std::string::npos &&
                       sql.find("(consumer, message_id)") == std::string::npos;
            });
        CPPUNIT_ASSERT(!separateUnique);
        const bool claimIndex =
            std::any_of(statements.begin(), statements.end(), [](const std::string& sql) {
                return sql ==
                       "CREATE INDEX IF NOT EXISTS ix_ob_available ON ob (available_at, seq)";
            });
        CPPUNIT_ASSERT(claimIndex);
    }

    void testIndexNamesFollowTheTableNames() {
        auto tables = Schema::tables(names());
        CPPUNIT_ASSERT_EQUAL(std::string("ix_ob_delivered_time"), tables[1].indexes[1].name);
        CPPUNIT_ASSERT_EQUAL(std::string("ix_dd_processed"), tables[2].indexes[0].name);
        CPPUNIT_ASSERT_EQUAL(std::string("ix_fl_queue"), tables[4].indexes[0].name);
        CPPUNIT_ASSERT(tables[2].withoutRowid && tables[3].withoutRowid);
        CPPUNIT_ASSERT(!tables[0].withoutRowid);
    }

    void testATableNameThatIsNoIdentifierIsRefusedNamingTheKey() {
        for (const auto& [bad, key] : std::vector<std::pair<TableNames, std::string>>{
                 {{"ob; DROP", "dd", "fl"}, "outbox.table"},
                 {{"ob", "d-d", "fl"}, "dedup.table"},
                 {{"ob", "dd", ""}, "failed.table"},
                 {{"ob", "dd", "fl", "h s"}, "host.table"}}) {
            try {
                Schema::tables(bad);
                CPPUNIT_FAIL("accepted " + key);
            } catch (const msgbus::InvalidArgument& e) {
                CPPUNIT_ASSERT_MESSAGE(e.what(),
                                       std::string(e.what()).find(key) != std::string::npos);
            }
        }
    }

    void testBaseSqlType() {
        CPPUNIT_ASSERT_EQUAL(std::string("BINARY"), baseSqlType("BINARY(16) NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(std::string("BIGINT"), baseSqlType("bigint not null"));
        CPPUNIT_ASSERT_EQUAL(std::string("TEXT"), baseSqlType("TEXT"));
        CPPUNIT_ASSERT_EQUAL(std::string("INTEGER"),
                             baseSqlType("INTEGER PRIMARY KEY AUTOINCREMENT"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SchemaSpecTest);
