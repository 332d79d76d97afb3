// RowFilter as SQL: terms in a fixed order, ids as hex literals of parsed ids only.
#include "core/db/RowFilter.h"

#include "core/db/Database.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace msgbus::core;
using Poco::Data::Keywords::now;

namespace {

const Id idA = Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8a");
const Id idB = Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8b");
const Id idC = Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8c");
const Id idD = Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8d");

std::string hexOf(const Id& id) {
    static const char* const digits = "0123456789abcdef";
    std::string out;
    for (auto byte : id.bytes()) {
        out += digits[byte >> 4];
        out += digits[byte & 0x0f];
    }
    return out;
}

// An in-memory SQLite table of four rows: ids A-D, names a/b/a/b, created at 100-400, the
// first with a partition key.
Poco::Data::Session messages() {
    Database::registerConnectors();
    Poco::Data::Session session("SQLite", ":memory:");
    session << "CREATE TABLE m (seq INTEGER PRIMARY KEY, message_id BLOB, message_name TEXT, "
               "partition_key TEXT, created_at INTEGER)",
        now;
    const Id ids[] = {idA, idB, idC, idD};
    for (int i = 0; i < 4; ++i)
        session << "INSERT INTO m VALUES (" + std::to_string(i + 1) + ", X'" + hexOf(ids[i]) +
                       "', '" + (i % 2 ? "b" : "a") + "', " + (i ? "NULL" : "'customer-7'") + ", " +
                       std::to_string((i + 1) * 100) + ")",
            now;
    return session;
}

std::vector<std::string> listedIds(Poco::Data::Session& session, const RowFilter& filter,
                                   const std::string& order = "seq", int limit = 100) {
    RowFilterSql sql(filter, "created_at", "seq");
    const auto rows = sql.list(session, "seq", "", "m", order, limit);
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < rows.rowCount(); ++i)
        ids.push_back(listedMessageAt(rows, i).messageId);
    return ids;
}

} // namespace

class RowFilterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RowFilterTest);
    CPPUNIT_TEST(testAnEmptyFilterMatchesEverything);
    CPPUNIT_TEST(testTheWindowIsOnTheGivenColumn);
    CPPUNIT_TEST(testTheLastKeyIsOnTheKeyColumnAfterTheTimes);
    CPPUNIT_TEST(testNamesAreBoundNeverInlined);
    CPPUNIT_TEST(testIdsAreUpperCaseHexLiterals);
    CPPUNIT_TEST(testAllTermsTogether);
    CPPUNIT_TEST(testWhereAndAddsATerm);
    CPPUNIT_TEST(testListOfAnEmptyFilterIsEveryRowInOrder);
    CPPUNIT_TEST(testWindowIncludesSinceAndExcludesUntil);
    CPPUNIT_TEST(testLastKeyLeavesOutLaterRows);
    CPPUNIT_TEST(testNamesAndIdsSelectTheirRows);
    CPPUNIT_TEST(testListStopsAtTheLimit);
    CPPUNIT_TEST(testListedMessageReadsItsColumns);
    CPPUNIT_TEST(testStoredIdThatIsNoValidIdIsShownAsItsHex);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAnEmptyFilterMatchesEverything() {
        RowFilterSql sql(RowFilter{}, "created_at", "seq");
        CPPUNIT_ASSERT_EQUAL(std::string(), sql.where());
    }

    void testTheWindowIsOnTheGivenColumn() {
        RowFilter filter;
        filter.since = 10;
        filter.until = 20;
        RowFilterSql sql(filter, "delivered_at", "id");
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE delivered_at >= ? AND delivered_at < ?"),
                             sql.where());
    }

    void testTheLastKeyIsOnTheKeyColumnAfterTheTimes() {
        RowFilter filter;
        filter.lastKey = 7;
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE id <= ?"),
                             RowFilterSql(filter, "delivered_at", "id").where());
        filter.since = 10;
        filter.until = 20;
        filter.names = {"a"};
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE delivered_at >= ? AND delivered_at < ? AND id <= "
                                         "? AND message_name IN (?)"),
                             RowFilterSql(filter, "delivered_at", "id").where());
    }

    void testNamesAreBoundNeverInlined() {
        RowFilter filter;
        filter.names = {"order.placed", "x'); DROP TABLE t; --"};
        RowFilterSql sql(filter, "created_at", "seq");
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE message_name IN (?,?)"), sql.where());
    }

    void testIdsAreUpperCaseHexLiterals() {
        RowFilter filter;
        filter.ids = {Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8e")};
        RowFilterSql sql(filter, "created_at", "seq");
        CPPUNIT_ASSERT_EQUAL(
            std::string(" WHERE message_id IN (X'01A2165176CC7A79BDADEC10A3746F8E')"), sql.where());
    }

    void testAllTermsTogether() {
        RowFilter filter;
        filter.names = {"a"};
        filter.ids = {Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8e"),
                      Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8f")};
        filter.since = 1;
        RowFilterSql sql(filter, "t", "k");
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE t >= ? AND message_name IN (?) AND message_id IN "
                                         "(X'01A2165176CC7A79BDADEC10A3746F8E',"
                                         "X'01A2165176CC7A79BDADEC10A3746F8F')"),
                             sql.where());
    }

    void testWhereAndAddsATerm() {
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE id > ?"),
                             RowFilterSql(RowFilter{}, "t", "k").whereAnd("id > ?"));
        RowFilter filter;
        filter.until = 5;
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE t < ? AND id > ?"),
                             RowFilterSql(filter, "t", "k").whereAnd("id > ?"));
    }

    void testListOfAnEmptyFilterIsEveryRowInOrder() {
        auto session = messages();
        const std::vector<std::string> expected{idA.toString(), idB.toString(), idC.toString(),
                                                idD.toString()};
        CPPUNIT_ASSERT(expected == listedIds(session, RowFilter{}));
        const std::vector<std::string> reversed{idD.toString(), idC.toString(), idB.toString(),
                                                idA.toString()};
        CPPUNIT_ASSERT(reversed == listedIds(session, RowFilter{}, "seq DESC"));
    }

    void testWindowIncludesSinceAndExcludesUntil() {
        auto session = messages();
        RowFilter filter;
        filter.since = 200;
        filter.until = 400;
        const std::vector<std::string> expected{idB.toString(), idC.toString()};
        CPPUNIT_ASSERT(expected == listedIds(session, filter));
    }

    void testLastKeyLeavesOutLaterRows() {
        // Bound in the order where() placed them: since, until, last key, then the names.
        auto session = messages();
        RowFilter filter;
        filter.since = 100;
        filter.until = 1000;
        filter.lastKey = 3;
        filter.names = {"a", "b"};
        const std::vector<std::string> firstThree{idA.toString(), idB.toString(), idC.toString()};
        CPPUNIT_ASSERT(firstThree == listedIds(session, filter));
        filter.lastKey = 0;
        CPPUNIT_ASSERT(listedIds(session, filter).empty());
    }

    void testNamesAndIdsSelectTheirRows() {
        auto session = messages();
        RowFilter byName;
        byName.names = {"b", "no such name"};
        const std::vector<std::string> bs{idB.toString(), idD.toString()};
        CPPUNIT_ASSERT(bs == listedIds(session, byName));
        RowFilter byId;
        byId.ids = {idC, idA, Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8f")};
        const std::vector<std::string> ac{idA.toString(), idC.toString()};
        CPPUNIT_ASSERT(ac == listedIds(session, byId));
        // Every term must hold: C is named a, so a filter on b and C finds nothing.
        byId.names = {"b"};
        CPPUNIT_ASSERT(listedIds(session, byId).empty());
    }

    void testListStopsAtTheLimit() {
        auto session = messages();
        RowFilter filter;
        filter.names = {"a", "b"};
        const std::vector<std::string> firstTwo{idA.toString(), idB.toString()};
        CPPUNIT_ASSERT(firstTwo == listedIds(session, filter, "seq", 2));
    }

    void testListedMessageReadsItsColumns() {
        auto session = messages();
        RowFilterSql sql(RowFilter{}, "created_at", "seq");
        const auto rows = sql.list(session, "seq", ", created_at * 2", "m", "seq", 10);
        const ListedMessage first = listedMessageAt(rows, 0);
        CPPUNIT_ASSERT_EQUAL(idA.toString(), first.messageId);
        CPPUNIT_ASSERT_EQUAL(std::string("a"), first.name);
        CPPUNIT_ASSERT_EQUAL(std::string("customer-7"), *first.partitionKey);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(100), first.createdAt);
        CPPUNIT_ASSERT(!listedMessageAt(rows, 1).partitionKey);
        // The caller's key is column 0, its own columns follow the four.
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), rows.value(0, 1).convert<Poco::Int64>());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(400), rows.value(5, 1).convert<Poco::Int64>());
    }

    void testStoredIdThatIsNoValidIdIsShownAsItsHex() {
        auto session = messages();
        session << "UPDATE m SET message_id = X'00ff' WHERE seq = 2", now;
        CPPUNIT_ASSERT_EQUAL(std::string("00FF"), listedIds(session, RowFilter{})[1]);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RowFilterTest);
