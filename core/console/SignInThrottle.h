#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace msgbus::core::console {

/// Slows down guessing of the console's token or passwords: per client address, a few failed
/// sign-ins go unpunished (a mistyped password), then each further failure blocks the address
/// for twice as long as the one before (1 s, 2 s, 4 s ... up to kMaxBlock). While blocked, every
/// API request of the address is refused (429) before its credentials are looked at, so a
/// guess costs the wait whatever it is. A success clears the address; failures are forgotten
/// after kForgetAfter without one.
///
/// Behind a reverse proxy every client has the proxy's address: they share one budget.
/// Thread-safe. The time is passed in (steady clock), so that tests need no sleep.
class SignInThrottle {
public:
    using Clock = std::chrono::steady_clock;

    static constexpr int kFreeFailures = 5;
    static constexpr std::chrono::seconds kMaxBlock{60};
    static constexpr std::chrono::seconds kForgetAfter{600};
    /// Addresses remembered at most: the ones forgotten first are the longest quiet.
    static constexpr std::size_t kMaxAddresses = 10000;

    /// How long address must still wait (zero: it may try).
    std::chrono::milliseconds blockedFor(const std::string& address, Clock::time_point now);

    /// A request of address carried credentials that matched nothing.
    void failed(const std::string& address, Clock::time_point now);

    /// A request of address signed in.
    void succeeded(const std::string& address);

private:
    struct Record {
        int failures = 0;
        Clock::time_point lastFailure;
        Clock::time_point blockedUntil;
    };
    void makeRoom(Clock::time_point now);

    std::mutex _mutex;
    std::map<std::string, Record> _records;
};

} // namespace msgbus::core::console
