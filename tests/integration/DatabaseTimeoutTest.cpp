// Every wait on the database is bounded, against the real MariaDB: a pool with no free session
// and a server that stops answering both end in an error the caller backs off from, never in a
// worker (or SIGTERM) waiting for ever.
#include "core/db/Database.h"
#include "core/db/DbErrors.h"
#include "support/ServiceOutage.h"
#include "support/TestEnv.h"

#include <Poco/Data/DataException.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <future>

using namespace msgbus;
using namespace Poco::Data::Keywords;

namespace {

core::DatabaseSettings mariaDb() {
    core::DatabaseSettings settings;
    settings.connector = "MySQL";
    settings.connection = test::mysqlConnection();
    return settings;
}

} // namespace

class DatabaseTimeoutTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DatabaseTimeoutTest);
    CPPUNIT_TEST(testWaitForAFreeSessionIsBounded);
    CPPUNIT_TEST(testFrozenServerFailsTheStatementInsteadOfHanging);
    CPPUNIT_TEST_SUITE_END();

public:
    void testWaitForAFreeSessionIsBounded() {
        auto settings = mariaDb();
        settings.poolMax = 1;
        settings.poolWait = std::chrono::milliseconds(300);
        core::Database database(settings);
        auto held = database.session();
        auto second = std::async(std::launch::async, [&] {
            try {
                database.session();
                return std::string("got a second session");
            } catch (const Poco::Data::SessionPoolExhaustedException& e) {
                // Transient for every worker: they back off and try again.
                return core::isConnectionLost(e) ? std::string("bounded") : e.displayText();
            }
        });
        CPPUNIT_ASSERT(second.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        CPPUNIT_ASSERT_EQUAL(std::string("bounded"), second.get());
    }

    void testFrozenServerFailsTheStatementInsteadOfHanging() {
        auto settings = mariaDb();
        settings.ioTimeout = std::chrono::milliseconds(2000);
        core::Database database(settings);
        auto session = database.session();
        std::string outcome;
        {
            // Declared first, so that the server thaws before a still waiting statement is
            // waited for.
            std::future<std::string> statement;
            test::FrozenMariaDb frozen;
            statement = std::async(std::launch::async, [&] {
                try {
                    Poco::Int64 one = 0;
                    *session << "SELECT 1", into(one), now;
                    return std::string("answered");
                } catch (const std::exception& e) {
                    return core::isConnectionLost(e) ? std::string("lost") : std::string(e.what());
                }
            });
            // Without the timeout the read waits as long as the server is frozen: for ever.
            CPPUNIT_ASSERT_MESSAGE("the statement still waits 15 s later",
                                   statement.wait_for(std::chrono::seconds(15)) ==
                                       std::future_status::ready);
            outcome = statement.get();
        }
        CPPUNIT_ASSERT_EQUAL(std::string("lost"), outcome);
        // The server is back: a new session works.
        auto fresh = database.session();
        Poco::Int64 one = 0;
        *fresh << "SELECT 1", into(one), now;
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), one);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DatabaseTimeoutTest);
