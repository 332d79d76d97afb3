// RedeliveryLimit: how often a delivery counts as delivered before (this consumer's count,
// host deaths, the queue's x-delivery-limit) and when inbox.max_redeliveries stops it.
#include "core/inbox/RedeliveryLimit.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::Failure;
using msgbus::core::InboxItem;
using msgbus::core::RedeliveryLimit;
using msgbus::core::amqp::Delivery;

namespace {

Delivery delivery(bool redelivered, std::optional<std::int64_t> brokerCount = std::nullopt) {
    Delivery d;
    d.redelivered = redelivered;
    d.deliveryCount = brokerCount;
    d.wire.properties.messageId = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f";
    return d;
}

InboxItem counted(const RedeliveryLimit& limit, const Delivery& d, int tracked,
                  const std::string& trackedError, int deaths) {
    InboxItem item(&d.wire);
    limit.count(item, d, tracked, trackedError, deaths);
    return item;
}

} // namespace

class RedeliveryLimitTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RedeliveryLimitTest);
    CPPUNIT_TEST(testFirstDeliveryCountsNothing);
    CPPUNIT_TEST(testTrackedRedeliveriesCountWithTheirLastError);
    CPPUNIT_TEST(testAnExcusedErrorIsNoReasonWhileNothingCounts);
    CPPUNIT_TEST(testHostDeathsCountWhenMoreThanTracked);
    CPPUNIT_TEST(testTrackedErrorIsKeptOverTheHostDeathReason);
    CPPUNIT_TEST(testDeliveryLimitStopsAMessageTheQueueWouldDrop);
    CPPUNIT_TEST(testDeliveryLimitIgnoresFirstDeliveriesAndLowerCounts);
    CPPUNIT_TEST(testAtTheDeliveryLimitWithoutACountItRunsAsARerun);
    CPPUNIT_TEST(testAHostDeathMakesARerun);
    CPPUNIT_TEST(testOnlyMoreThanMaxRedeliveriesIsExceeded);
    CPPUNIT_TEST(testFailureIsPermanentAndNamesTheCountAndTheLimit);
    CPPUNIT_TEST(testFailureWithoutAnErrorSeenSaysSo);
    CPPUNIT_TEST_SUITE_END();

public:
    void testFirstDeliveryCountsNothing() {
        const RedeliveryLimit limit(5);
        const Delivery d = delivery(false);
        const InboxItem item = counted(limit, d, 0, "", 0);
        CPPUNIT_ASSERT_EQUAL(0, item.redeliveries);
        CPPUNIT_ASSERT_EQUAL(std::string(), item.lastError);
        CPPUNIT_ASSERT(!limit.exceeded(item));
    }

    void testTrackedRedeliveriesCountWithTheirLastError() {
        const RedeliveryLimit limit(5);
        const Delivery d = delivery(true);
        const InboxItem item = counted(limit, d, 3, "batch failed", 0);
        CPPUNIT_ASSERT_EQUAL(3, item.redeliveries);
        CPPUNIT_ASSERT_EQUAL(std::string("batch failed"), item.lastError);
    }

    void testAnExcusedErrorIsNoReasonWhileNothingCounts() {
        // Given back during an outage: the tracker kept the error but counts nothing.
        const RedeliveryLimit limit(5);
        const Delivery d = delivery(true);
        const InboxItem item = counted(limit, d, 0, "database down", 0);
        CPPUNIT_ASSERT_EQUAL(0, item.redeliveries);
        CPPUNIT_ASSERT_EQUAL(std::string(), item.lastError);
    }

    void testHostDeathsCountWhenMoreThanTracked() {
        // This host never saw it fail: another host died running it, twice.
        const RedeliveryLimit limit(5);
        const Delivery d = delivery(true);
        const InboxItem item = counted(limit, d, 1, "", 2);
        CPPUNIT_ASSERT_EQUAL(2, item.redeliveries);
        CPPUNIT_ASSERT_EQUAL(
            std::string("a host stopped while running it (2 run(s) began and never ended)"),
            item.lastError);
    }

    void testTrackedErrorIsKeptOverTheHostDeathReason() {
        const RedeliveryLimit limit(5);
        const Delivery d = delivery(true);
        const InboxItem item = counted(limit, d, 4, "handler timed out", 1);
        CPPUNIT_ASSERT_EQUAL(4, item.redeliveries);
        CPPUNIT_ASSERT_EQUAL(std::string("handler timed out"), item.lastError);
    }

    void testDeliveryLimitStopsAMessageTheQueueWouldDrop() {
        const RedeliveryLimit limit(5, 20);
        const Delivery d = delivery(true, 20);
        const InboxItem item = counted(limit, d, 1, "boom", 0);
        CPPUNIT_ASSERT_EQUAL(6, item.redeliveries);
        CPPUNIT_ASSERT(limit.exceeded(item));
        CPPUNIT_ASSERT_EQUAL(
            std::string("the queue's x-delivery-limit (20) would drop it if it came back once "
                        "more; boom"),
            item.lastError);
    }

    void testDeliveryLimitIgnoresFirstDeliveriesAndLowerCounts() {
        const RedeliveryLimit limit(5, 20);
        // A first delivery may carry the header from elsewhere (a shovel).
        const Delivery first = delivery(false, 25);
        CPPUNIT_ASSERT(!limit.exceeded(counted(limit, first, 0, "", 0)));
        const Delivery below = delivery(true, 19);
        const InboxItem item = counted(limit, below, 1, "boom", 0);
        CPPUNIT_ASSERT_EQUAL(1, item.redeliveries);
        CPPUNIT_ASSERT(!limit.exceeded(item));
        // A queue without a limit.
        const RedeliveryLimit unlimited(5);
        CPPUNIT_ASSERT(!unlimited.exceeded(counted(unlimited, delivery(true, 1000), 1, "", 0)));
    }

    void testAtTheDeliveryLimitWithoutACountItRunsAsARerun() {
        // The broker counted 20 returns, none of which this host or the runs table blames on
        // the message (outages, shutdowns): it runs, told that it may have run before.
        // This host sees it come back for the first time (tracked 1, no error of its own).
        const RedeliveryLimit limit(1, 20);
        const Delivery d = delivery(true, 20);
        const InboxItem item = counted(limit, d, 1, "", 0);
        CPPUNIT_ASSERT_EQUAL(1, item.redeliveries);
        CPPUNIT_ASSERT(!limit.exceeded(item));
        CPPUNIT_ASSERT(item.rerun);
        CPPUNIT_ASSERT_EQUAL(std::string(), item.lastError);
    }

    void testAHostDeathMakesARerun() {
        const RedeliveryLimit limit(5);
        const Delivery d = delivery(true);
        CPPUNIT_ASSERT(counted(limit, d, 0, "", 1).rerun);
        CPPUNIT_ASSERT(!counted(limit, d, 1, "boom", 0).rerun);
    }

    void testOnlyMoreThanMaxRedeliveriesIsExceeded() {
        const RedeliveryLimit limit(5);
        InboxItem item;
        item.redeliveries = 5;
        CPPUNIT_ASSERT(!limit.exceeded(item));
        item.redeliveries = 6;
        CPPUNIT_ASSERT(limit.exceeded(item));
    }

    void testFailureIsPermanentAndNamesTheCountAndTheLimit() {
        const RedeliveryLimit limit(5);
        InboxItem item;
        item.redeliveries = 6;
        item.lastError = "handler crashed";
        const Failure f = limit.failure(item);
        CPPUNIT_ASSERT_EQUAL(std::string("RedeliveryLimit"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("delivered 7 times (inbox.max_redeliveries = 5); last "
                                         "error: handler crashed"),
                             f.error);
        CPPUNIT_ASSERT(!f.retryable);
    }

    void testFailureWithoutAnErrorSeenSaysSo() {
        const RedeliveryLimit limit(0);
        InboxItem item;
        item.redeliveries = 1;
        CPPUNIT_ASSERT_EQUAL(std::string("delivered 2 times (inbox.max_redeliveries = 0); last "
                                         "error: none seen by this host (an earlier delivery "
                                         "may have stopped a host)"),
                             limit.failure(item).error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedeliveryLimitTest);
