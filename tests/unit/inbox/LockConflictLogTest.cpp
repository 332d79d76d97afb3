// LockConflictLog: every rerun after a lost lock conflict is counted per consumer; the log says
// so once, then at most once per interval with the count of those it did not show.
#include "core/inbox/LockConflictLog.h"
#include "support/CapturingChannel.h"

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::LockConflictLog;
using msgbus::core::Metrics;

class LockConflictLogTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LockConflictLogTest);
    CPPUNIT_TEST(testEveryRerunIsCountedAndTheLogIsRateLimited);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryRerunIsCountedAndTheLogIsRateLimited() {
        Metrics metrics;
        Poco::Logger& log = Poco::Logger::get("msgbus.test.lockconflicts");
        Poco::AutoPtr<msgbus::test::CapturingChannel> channel(new msgbus::test::CapturingChannel);
        log.setChannel(channel);
        log.setLevel(Poco::Message::PRIO_INFORMATION);
        LockConflictLog conflicts(metrics, "orders", log, std::chrono::seconds(30));
        const auto start = LockConflictLog::Clock::time_point{} + std::chrono::hours(1);

        CPPUNIT_ASSERT(conflicts.rerun(1, "Deadlock found", start));
        CPPUNIT_ASSERT(!conflicts.rerun(2, "Deadlock found", start + std::chrono::seconds(1)));
        CPPUNIT_ASSERT(!conflicts.rerun(1, "Lock wait timeout", start + std::chrono::seconds(29)));
        CPPUNIT_ASSERT(conflicts.rerun(1, "Deadlock found", start + std::chrono::seconds(31)));

        CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), metrics.lockConflictReruns.value("orders"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), channel->lines.size());
        const std::string last = channel->lines.back().getText();
        CPPUNIT_ASSERT_MESSAGE(last, last.find("consumer orders") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(last, last.find("2 more since the last") != std::string::npos);
        log.setChannel(nullptr);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LockConflictLogTest);
