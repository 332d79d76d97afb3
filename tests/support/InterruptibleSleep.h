#pragma once

// For unit tests of interruptible sleeps: header-only, no service.

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <future>
#include <thread>

namespace msgbus::test {

/// How long the sleeps under test are asked to last, and how long a test waits for one to end
/// before it fails: an interrupted sleep returns well before either.
constexpr std::chrono::seconds longSleep{60};
constexpr std::chrono::seconds patience{30};

/// Starts sleep() (a longSleep) in a thread, calls interrupt() while it sleeps, and returns
/// what sleep() returned; fails the test when sleep() is still running after patience.
template <class Sleep, class Interrupt> bool interruptSleep(Sleep sleep, Interrupt interrupt) {
    auto sleeper = std::async(std::launch::async, sleep);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    interrupt();
    CPPUNIT_ASSERT_MESSAGE("the sleep did not end when interrupted",
                           sleeper.wait_for(patience) == std::future_status::ready);
    return sleeper.get();
}

/// Calls sleep() (a longSleep that must not sleep at all) and returns what it returned; fails
/// the test when it took anything like its full time.
template <class Sleep> bool sleepNotAtAll(Sleep sleep) {
    const auto start = std::chrono::steady_clock::now();
    const bool result = sleep();
    CPPUNIT_ASSERT_MESSAGE("the sleep did not return at once",
                           std::chrono::steady_clock::now() - start < patience);
    return result;
}

} // namespace msgbus::test
