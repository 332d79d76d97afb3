// LargeColumnReader: the bounded read of the headers and body columns that the outbox and the
// failed table share. The SQL of each dialect, and the reads themselves on an in-memory SQLite
// database (no service).
#include "core/db/LargeColumnReader.h"

#include "core/db/Database.h"

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus::core;
using namespace Poco::Data::Keywords;

namespace {

const std::string bodyWithNul("b\0dy", 4);

Poco::Data::Session messageTable() {
    Database::registerConnectors();
    Poco::Data::Session session("SQLite", ":memory:");
    session << "CREATE TABLE t (id INTEGER PRIMARY KEY, headers TEXT NOT NULL, body BLOB NOT NULL)",
        now;
    Poco::Data::BLOB body(reinterpret_cast<const unsigned char*>(bodyWithNul.data()),
                          bodyWithNul.size());
    std::string headers = R"({"x-tenant":"acmé"})";
    session << "INSERT INTO t (id, headers, body) VALUES (7, ?, ?)", use(headers), use(body), now;
    return session;
}

} // namespace

class LargeColumnReaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LargeColumnReaderTest);
    CPPUNIT_TEST(testMySqlReadsWindowsAndFullLengths);
    CPPUNIT_TEST(testSqliteReadsWholeValuesAndByteLengths);
    CPPUNIT_TEST(testWholeRowsAreNotCut);
    CPPUNIT_TEST(testARowLongerThanItsWindowIsCutAndReadWhole);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMySqlReadsWindowsAndFullLengths() {
        LargeColumnReader reader(Dialect::MySQL, 1048576);
        CPPUNIT_ASSERT_EQUAL(
            std::string("LEFT(headers, 65535), LENGTH(headers), LEFT(body, 1048576), LENGTH(body)"),
            reader.columns());
        CPPUNIT_ASSERT_EQUAL(std::string("LEFT(o.headers, 65535), LENGTH(o.headers), "
                                         "LEFT(o.body, 4096), LENGTH(o.body)"),
                             LargeColumnReader(Dialect::MySQL, 4096).columns("o."));
    }

    void testSqliteReadsWholeValuesAndByteLengths() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("headers, length(CAST(headers AS BLOB)), body, length(body)"),
            LargeColumnReader(Dialect::SQLite, 1048576).columns());
    }

    void testWholeRowsAreNotCut() {
        auto session = messageTable();
        LargeColumnReader reader(Dialect::SQLite, 1048576);
        LargeColumnReader::Results results;
        Poco::Data::Statement select(session);
        select << "SELECT " + reader.columns() + " FROM t";
        reader.bind(select, results);
        select.execute();
        std::string headers, body;
        CPPUNIT_ASSERT(!results.take(0, headers, body));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"x-tenant":"acmé"})"), headers);
        CPPUNIT_ASSERT_EQUAL(bodyWithNul, body); // past the NUL byte
    }

    void testARowLongerThanItsWindowIsCutAndReadWhole() {
        auto session = messageTable();
        LargeColumnReader reader(Dialect::SQLite, 1048576);
        LargeColumnReader::Results results;
        {
            // Windows of two bytes, as LEFT() gives them on MySQL.
            Poco::Data::Statement select(session);
            select << "SELECT substr(headers, 1, 2), length(CAST(headers AS BLOB)), "
                      "substr(body, 1, 2), length(body) FROM t";
            reader.bind(select, results);
            select.execute();
        }
        std::string headers, body;
        CPPUNIT_ASSERT(results.take(0, headers, body));
        CPPUNIT_ASSERT_EQUAL(std::string("{\""), headers);
        reader.readWhole(session, "t", "id", 7, headers, body);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"x-tenant":"acmé"})"), headers);
        CPPUNIT_ASSERT_EQUAL(bodyWithNul, body);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LargeColumnReaderTest);
