// RowFilter as SQL: terms in a fixed order, ids as hex literals of parsed ids only.
#include "core/db/RowFilter.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace msgbus::core;

class RowFilterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RowFilterTest);
    CPPUNIT_TEST(testAnEmptyFilterMatchesEverything);
    CPPUNIT_TEST(testTheWindowIsOnTheGivenColumn);
    CPPUNIT_TEST(testNamesAreBoundNeverInlined);
    CPPUNIT_TEST(testIdsAreUpperCaseHexLiterals);
    CPPUNIT_TEST(testAllTermsTogether);
    CPPUNIT_TEST(testWhereAndAddsATerm);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAnEmptyFilterMatchesEverything() {
        RowFilterSql sql(RowFilter{}, "created_at");
        CPPUNIT_ASSERT_EQUAL(std::string(), sql.where());
    }

    void testTheWindowIsOnTheGivenColumn() {
        RowFilter filter;
        filter.since = 10;
        filter.until = 20;
        RowFilterSql sql(filter, "delivered_at");
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE delivered_at >= ? AND delivered_at < ?"),
                             sql.where());
    }

    void testNamesAreBoundNeverInlined() {
        RowFilter filter;
        filter.names = {"order.placed", "x'); DROP TABLE t; --"};
        RowFilterSql sql(filter, "created_at");
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE message_name IN (?,?)"), sql.where());
    }

    void testIdsAreUpperCaseHexLiterals() {
        RowFilter filter;
        filter.ids = {Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8e")};
        RowFilterSql sql(filter, "created_at");
        CPPUNIT_ASSERT_EQUAL(
            std::string(" WHERE message_id IN (X'01A2165176CC7A79BDADEC10A3746F8E')"), sql.where());
    }

    void testAllTermsTogether() {
        RowFilter filter;
        filter.names = {"a"};
        filter.ids = {Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8e"),
                      Id::parse("01a21651-76cc-7a79-bdad-ec10a3746f8f")};
        filter.since = 1;
        RowFilterSql sql(filter, "t");
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE t >= ? AND message_name IN (?) AND message_id IN "
                                         "(X'01A2165176CC7A79BDADEC10A3746F8E',"
                                         "X'01A2165176CC7A79BDADEC10A3746F8F')"),
                             sql.where());
    }

    void testWhereAndAddsATerm() {
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE id > ?"),
                             RowFilterSql(RowFilter{}, "t").whereAnd("id > ?"));
        RowFilter filter;
        filter.until = 5;
        CPPUNIT_ASSERT_EQUAL(std::string(" WHERE t < ? AND id > ?"),
                             RowFilterSql(filter, "t").whereAnd("id > ?"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RowFilterTest);
