// RedeliveryTracker: how often a delivery came back, as the inbox counts it for
// inbox.max_redeliveries, without a broker.
#include "core/inbox/RedeliveryTracker.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::FieldValue;
using msgbus::core::RedeliveryTracker;
using msgbus::core::amqp::Delivery;

namespace {

Delivery delivery(const std::string& id, bool redelivered,
                  std::optional<std::int64_t> brokerCount = std::nullopt) {
    Delivery d;
    d.redelivered = redelivered;
    d.deliveryCount = brokerCount;
    d.wire.properties.messageId = id;
    d.wire.body = "{}";
    return d;
}

} // namespace

class RedeliveryTrackerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RedeliveryTrackerTest);
    CPPUNIT_TEST(testFirstDeliveryCountsZero);
    CPPUNIT_TEST(testEachRedeliveryCounts);
    CPPUNIT_TEST(testOutageGiveBacksAreExcused);
    CPPUNIT_TEST(testTheBrokersCountIsNotTheMessagesFault);
    CPPUNIT_TEST(testSettledMessageIsForgottenAndLastErrorKept);
    CPPUNIT_TEST(testMessagesWithoutIdAreTellApartByBody);
    CPPUNIT_TEST(testRunsLeftBehindAreRememberedUntilSettled);
    CPPUNIT_TEST(testAFullTrackerKeepsCountingWhatItKnows);
    CPPUNIT_TEST(testANewMessagePastTheCapacityStartsTheCountsOver);
    CPPUNIT_TEST_SUITE_END();

public:
    void testFirstDeliveryCountsZero() {
        RedeliveryTracker tracker;
        CPPUNIT_ASSERT_EQUAL(0, tracker.redeliveries(delivery("a", false)));
    }

    void testEachRedeliveryCounts() {
        RedeliveryTracker tracker;
        for (int n = 1; n <= 6; ++n) {
            tracker.gaveBack(delivery("a", n > 1), "handler crashed", false);
            CPPUNIT_ASSERT_EQUAL(n, tracker.redeliveries(delivery("a", true)));
        }
    }

    void testOutageGiveBacksAreExcused() {
        RedeliveryTracker tracker;
        for (int round = 0; round < 20; ++round) {
            tracker.gaveBack(delivery("a", round > 0), "database down", true);
            CPPUNIT_ASSERT_EQUAL(0, tracker.redeliveries(delivery("a", true)));
        }
        tracker.gaveBack(delivery("a", true), "its own fault", false);
        CPPUNIT_ASSERT_EQUAL(1, tracker.redeliveries(delivery("a", true)));
    }

    void testTheBrokersCountIsNotTheMessagesFault() {
        // x-delivery-count also counts outages, lost connections and shutdowns of every host:
        // a message this host sees come back for the first time counts once, whatever it says.
        RedeliveryTracker tracker;
        CPPUNIT_ASSERT_EQUAL(1, tracker.redeliveries(delivery("a", true, 25)));
        CPPUNIT_ASSERT_EQUAL(0, tracker.redeliveries(delivery("b", false, 99)));
    }

    void testSettledMessageIsForgottenAndLastErrorKept() {
        RedeliveryTracker tracker;
        tracker.gaveBack(delivery("a", false), "first error", false);
        tracker.gaveBack(delivery("a", true), "second error", false);
        CPPUNIT_ASSERT_EQUAL(std::string("second error"), tracker.lastError(delivery("a", true)));
        tracker.settled(delivery("a", true));
        CPPUNIT_ASSERT_EQUAL(std::string(), tracker.lastError(delivery("a", true)));
        CPPUNIT_ASSERT_EQUAL(1, tracker.redeliveries(delivery("a", true)));
    }

    void testMessagesWithoutIdAreTellApartByBody() {
        RedeliveryTracker tracker;
        Delivery x = delivery("", true);
        x.wire.properties.messageId.reset();
        x.wire.body = "x";
        Delivery y = x;
        y.wire.body = "y";
        CPPUNIT_ASSERT_EQUAL(1, tracker.redeliveries(x));
        CPPUNIT_ASSERT_EQUAL(2, tracker.redeliveries(x));
        CPPUNIT_ASSERT_EQUAL(1, tracker.redeliveries(y));
    }

    void testRunsLeftBehindAreRememberedUntilSettled() {
        RedeliveryTracker tracker;
        const auto d = delivery("a", true);
        CPPUNIT_ASSERT_EQUAL(0, tracker.runsLeftBehind(d));
        tracker.runLeftBehind(d);
        tracker.runLeftBehind(d);
        CPPUNIT_ASSERT_EQUAL(2, tracker.runsLeftBehind(d));
        CPPUNIT_ASSERT_EQUAL(0, tracker.runsLeftBehind(delivery("b", true)));
        tracker.settled(d);
        CPPUNIT_ASSERT_EQUAL(0, tracker.runsLeftBehind(d));
    }

    void testAFullTrackerKeepsCountingWhatItKnows() {
        // Full, but nothing new arrives: the known messages go on counting towards their limit.
        RedeliveryTracker tracker(2);
        tracker.redeliveries(delivery("a", true));
        tracker.redeliveries(delivery("b", true));
        tracker.gaveBack(delivery("a", true), "boom", false);
        tracker.runLeftBehind(delivery("b", true));
        CPPUNIT_ASSERT_EQUAL(2, tracker.redeliveries(delivery("a", true)));
        CPPUNIT_ASSERT_EQUAL(std::string("boom"), tracker.lastError(delivery("a", true)));
        CPPUNIT_ASSERT_EQUAL(1, tracker.runsLeftBehind(delivery("b", true)));
    }

    void testANewMessagePastTheCapacityStartsTheCountsOver() {
        RedeliveryTracker tracker(2);
        tracker.redeliveries(delivery("a", true));
        tracker.redeliveries(delivery("b", true));
        CPPUNIT_ASSERT_EQUAL(1, tracker.redeliveries(delivery("c", true)));
        CPPUNIT_ASSERT_EQUAL(1, tracker.redeliveries(delivery("a", true)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedeliveryTrackerTest);
