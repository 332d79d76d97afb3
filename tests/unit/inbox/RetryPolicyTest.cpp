// RetryPolicy: retry.max_retries, the backoff between attempts and the lease of a retry row, as
// the inbox and the retry worker apply them.
#include "core/inbox/RetryPolicy.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::FailedRecord;
using msgbus::core::RetryPolicy;
using msgbus::core::RetrySettings;
using std::chrono::milliseconds;

namespace {

RetrySettings retry(int maxRetries, milliseconds delay = milliseconds(1000), double multiplier = 2,
                    milliseconds maxDelay = milliseconds(5000),
                    milliseconds lease = milliseconds(60000)) {
    RetrySettings s;
    s.maxRetries = maxRetries;
    s.delay = delay;
    s.multiplier = multiplier;
    s.maxDelay = maxDelay;
    s.lease = lease;
    return s;
}

FailedRecord row(const std::string& queue, int attempts) {
    FailedRecord r;
    r.queueName = queue;
    r.attempts = attempts;
    r.errorClass = "HandlerFailed";
    r.errorMessage = "orders/PlaceOrder: boom";
    return r;
}

constexpr std::int64_t now = 1'700'000'000'000;

} // namespace

class RetryPolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RetryPolicyTest);
    CPPUNIT_TEST(testFirstFailureIsRetriedAfterTheBaseDelay);
    CPPUNIT_TEST(testLastAllowedAttemptIsStillRetried);
    CPPUNIT_TEST(testAttemptPastMaxRetriesFailsAtOnce);
    CPPUNIT_TEST(testPermanentFailureIsNeverRetried);
    CPPUNIT_TEST(testZeroMaxRetriesFailsTheFirstAttempt);
    CPPUNIT_TEST(testDelayGrowsByTheMultiplierUpToTheCap);
    CPPUNIT_TEST(testLeaseHoldIsTheLeaseWhenLonger);
    CPPUNIT_TEST(testLeaseHoldIsTheBackoffWhenLonger);
    CPPUNIT_TEST(testRunningRowPastMaxRetriesDiedOnItsLastAttempt);
    CPPUNIT_TEST(testRowWithinTheLimitRunsAgain);
    CPPUNIT_TEST(testDiedReasonNamesTheAttemptTheLimitAndTheLastError);
    CPPUNIT_TEST_SUITE_END();

public:
    void testFirstFailureIsRetriedAfterTheBaseDelay() {
        const RetryPolicy policy(retry(3));
        const auto d = policy.decide(true, 1, now);
        CPPUNIT_ASSERT(d.retry);
        // Full jitter: between half the delay and the delay.
        CPPUNIT_ASSERT(d.dueAt >= now + 500 && d.dueAt <= now + 1000);
    }

    void testLastAllowedAttemptIsStillRetried() {
        // max_retries = 3: attempts 2, 3 and 4 are the retries of attempt 1.
        const RetryPolicy policy(retry(3));
        CPPUNIT_ASSERT(policy.decide(true, 3, now).retry);
    }

    void testAttemptPastMaxRetriesFailsAtOnce() {
        const RetryPolicy policy(retry(3));
        const auto d = policy.decide(true, 4, now);
        CPPUNIT_ASSERT(!d.retry);
        CPPUNIT_ASSERT_EQUAL(now, d.dueAt);
    }

    void testPermanentFailureIsNeverRetried() {
        const RetryPolicy policy(retry(10));
        const auto d = policy.decide(false, 1, now);
        CPPUNIT_ASSERT(!d.retry);
        CPPUNIT_ASSERT_EQUAL(now, d.dueAt);
    }

    void testZeroMaxRetriesFailsTheFirstAttempt() {
        const RetryPolicy policy(retry(0));
        CPPUNIT_ASSERT(!policy.decide(true, 1, now).retry);
    }

    void testDelayGrowsByTheMultiplierUpToTheCap() {
        const RetryPolicy policy(retry(100, milliseconds(1000), 2, milliseconds(5000)));
        const std::int64_t ceilings[] = {1000, 2000, 4000, 5000, 5000};
        for (int attempt = 1; attempt <= 5; ++attempt) {
            const auto top = ceilings[attempt - 1];
            for (int round = 0; round < 20; ++round) {
                const auto d = policy.decide(true, attempt, now);
                CPPUNIT_ASSERT(d.retry);
                CPPUNIT_ASSERT(d.dueAt >= now + top / 2 && d.dueAt <= now + top);
            }
        }
    }

    void testLeaseHoldIsTheLeaseWhenLonger() {
        const RetryPolicy policy(
            retry(3, milliseconds(1000), 2, milliseconds(5000), milliseconds(60000)));
        CPPUNIT_ASSERT_EQUAL(milliseconds(60000).count(), policy.leaseHold(3).count());
    }

    void testLeaseHoldIsTheBackoffWhenLonger() {
        // A row whose host died comes due no sooner than after a failure.
        const RetryPolicy policy(
            retry(3, milliseconds(10000), 2, milliseconds(60000), milliseconds(100)));
        const auto hold = policy.leaseHold(2).count();
        CPPUNIT_ASSERT(hold >= 10000 && hold <= 20000);
    }

    void testRunningRowPastMaxRetriesDiedOnItsLastAttempt() {
        const RetryPolicy policy(retry(3));
        CPPUNIT_ASSERT(policy.diedOnLastAttempt(row("running", 4)));
    }

    void testRowWithinTheLimitRunsAgain() {
        const RetryPolicy policy(retry(3));
        // Its host died, but it has attempts left.
        CPPUNIT_ASSERT(!policy.diedOnLastAttempt(row("running", 3)));
        // Not leased: a plain retry row, however many attempts it shows.
        CPPUNIT_ASSERT(!policy.diedOnLastAttempt(row("retry", 4)));
    }

    void testDiedReasonNamesTheAttemptTheLimitAndTheLastError() {
        const RetryPolicy policy(retry(3));
        CPPUNIT_ASSERT_EQUAL(
            std::string("attempt 4 began and never ended: a host stopped while running it "
                        "(retry.max_retries = 3); last error: HandlerFailed: orders/PlaceOrder: "
                        "boom"),
            policy.diedOnLastAttemptReason(row("running", 4)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RetryPolicyTest);
