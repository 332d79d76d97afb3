// MysqlConnectionString: naming a database without showing the string, which holds the
// password.
#include "core/db/ConnectionString.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::MysqlConnectionString;

class ConnectionStringTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConnectionStringTest);
    CPPUNIT_TEST(testLocationNamesDatabaseHostAndPort);
    CPPUNIT_TEST(testLocationNeverShowsUserOrPassword);
    CPPUNIT_TEST(testPocoDefaultsFillHostAndPort);
    CPPUNIT_TEST(testEmptyHostOrPortTakesTheDefault);
    CPPUNIT_TEST(testMissingDatabaseIsSaid);
    CPPUNIT_TEST(testKeysAreCaseInsensitiveAndBlanksTrimmed);
    CPPUNIT_TEST(testValueKeepsEverythingAfterTheFirstEquals);
    CPPUNIT_TEST(testPairWithoutEqualsIsIgnored);
    CPPUNIT_TEST(testAbsentKeyIsEmpty);
    CPPUNIT_TEST(testTrailingSeparatorIsHarmless);
    CPPUNIT_TEST_SUITE_END();

public:
    void testLocationNamesDatabaseHostAndPort() {
        const MysqlConnectionString cs("host=127.0.0.1;port=3307;db=bus;user=msgbus;password=pw");
        CPPUNIT_ASSERT_EQUAL(std::string("database 'bus' on 127.0.0.1:3307"), cs.location());
    }

    void testLocationNeverShowsUserOrPassword() {
        const MysqlConnectionString cs(
            "host=db.internal;db=orders;user=admin;password=s3cr3t-p4ss;compress=true");
        const std::string location = cs.location();
        CPPUNIT_ASSERT(location.find("s3cr3t") == std::string::npos);
        CPPUNIT_ASSERT(location.find("admin") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("s3cr3t-p4ss"), cs.value("password"));
    }

    void testPocoDefaultsFillHostAndPort() {
        CPPUNIT_ASSERT_EQUAL(std::string("database 'bus' on localhost:3306"),
                             MysqlConnectionString("db=bus").location());
    }

    void testEmptyHostOrPortTakesTheDefault() {
        CPPUNIT_ASSERT_EQUAL(std::string("database 'bus' on localhost:3306"),
                             MysqlConnectionString("host=;port= ;db=bus").location());
    }

    void testMissingDatabaseIsSaid() {
        CPPUNIT_ASSERT_EQUAL(std::string("no database (db=) named on db.internal:3306"),
                             MysqlConnectionString("host=db.internal;user=u").location());
        CPPUNIT_ASSERT_EQUAL(std::string("no database (db=) named on localhost:3306"),
                             MysqlConnectionString("").location());
    }

    void testKeysAreCaseInsensitiveAndBlanksTrimmed() {
        const MysqlConnectionString cs(" HOST = db.local ; Port=3310 ;DB= bus ");
        CPPUNIT_ASSERT_EQUAL(std::string("db.local"), cs.value("host"));
        CPPUNIT_ASSERT_EQUAL(std::string("3310"), cs.value("port"));
        CPPUNIT_ASSERT_EQUAL(std::string("database 'bus' on db.local:3310"), cs.location());
    }

    void testValueKeepsEverythingAfterTheFirstEquals() {
        const MysqlConnectionString cs("password=a=b==;db=bus");
        CPPUNIT_ASSERT_EQUAL(std::string("a=b=="), cs.value("password"));
        CPPUNIT_ASSERT_EQUAL(std::string("bus"), cs.value("db"));
    }

    void testPairWithoutEqualsIsIgnored() {
        const MysqlConnectionString cs("garbage;db=bus;alsogarbage");
        CPPUNIT_ASSERT_EQUAL(std::string("bus"), cs.value("db"));
        CPPUNIT_ASSERT_EQUAL(std::string(), cs.value("garbage"));
    }

    void testAbsentKeyIsEmpty() {
        const MysqlConnectionString cs("host=h;db=bus");
        CPPUNIT_ASSERT_EQUAL(std::string(), cs.value("user"));
        // Lookups take the lower-case key, as the pairs are stored.
        CPPUNIT_ASSERT_EQUAL(std::string(), cs.value("HOST"));
    }

    void testTrailingSeparatorIsHarmless() {
        CPPUNIT_ASSERT_EQUAL(std::string("database 'bus' on h:1"),
                             MysqlConnectionString("host=h;port=1;db=bus;;").location());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConnectionStringTest);
