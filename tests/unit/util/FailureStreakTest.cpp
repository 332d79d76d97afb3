// FailureStreak: one warning when failures begin, one information line when they end.
#include "core/util/FailureStreak.h"
#include "support/CapturingChannel.h"

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>
#include <cppunit/extensions/HelperMacros.h>

#include <vector>

using msgbus::core::FailureStreak;
using std::chrono::milliseconds;

namespace {

using msgbus::test::CapturingChannel;

} // namespace

class FailureStreakTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FailureStreakTest);
    CPPUNIT_TEST(testAStreakIsOneWarningAndOneLineWhenItEnds);
    CPPUNIT_TEST(testSuccessWithoutFailuresSaysNothing);
    CPPUNIT_TEST_SUITE_END();

    Poco::AutoPtr<CapturingChannel> channel = new CapturingChannel;

    Poco::Logger& logger() {
        auto& log = Poco::Logger::get("test.streak");
        log.setChannel(channel);
        log.setLevel(Poco::Message::PRIO_INFORMATION);
        return log;
    }

public:
    void testAStreakIsOneWarningAndOneLineWhenItEnds() {
        FailureStreak streak(logger(), "retry worker");
        CPPUNIT_ASSERT_EQUAL(1, streak.failed("Can't connect to server", milliseconds(200)));
        for (int i = 2; i <= 20; ++i)
            CPPUNIT_ASSERT_EQUAL(i, streak.failed("Can't connect to server", milliseconds(5000)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), channel->lines.size());
        CPPUNIT_ASSERT_EQUAL(Poco::Message::PRIO_WARNING, channel->lines[0].getPriority());
        CPPUNIT_ASSERT(channel->lines[0].getText().find("retry worker: Can't connect") == 0);
        streak.succeeded();
        streak.succeeded();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), channel->lines.size());
        CPPUNIT_ASSERT_EQUAL(Poco::Message::PRIO_INFORMATION, channel->lines[1].getPriority());
        CPPUNIT_ASSERT(channel->lines[1].getText().find("after 20 failed cycles") !=
                       std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, streak.failures());
        // The next outage is a streak of its own.
        CPPUNIT_ASSERT_EQUAL(1, streak.failed("gone away", milliseconds(200)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), channel->lines.size());
    }

    void testSuccessWithoutFailuresSaysNothing() {
        FailureStreak streak(logger(), "retry worker");
        streak.succeeded();
        CPPUNIT_ASSERT(channel->lines.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FailureStreakTest);
