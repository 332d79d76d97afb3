// ConfirmTracker: publisher-confirm bookkeeping fed synthetic acks, nacks, returns and channel
// losses, without a broker.
#include "core/amqp/ConfirmTracker.h"
#include "support/PublishOutcomeAssert.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

using msgbus::core::amqp::ConfirmTracker;
using msgbus::core::amqp::PublishOutcome;
using msgbus::core::amqp::PublishResult;

namespace {

using BatchId = ConfirmTracker::BatchId;

using msgbus::test::assertResult;

// Publishes messages [from, to) of the batch with keys "<prefix><index>".
void publishRange(ConfirmTracker& tracker, BatchId id, std::size_t from, std::size_t to,
                  const std::string& prefix = "m") {
    for (std::size_t i = from; i < to; ++i)
        tracker.published(id, i, prefix + std::to_string(i));
}

const std::string kNoRoute = "NO_ROUTE: exchange 'x' routing key 'nowhere' (reply 312)";

} // namespace

class ConfirmTrackerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConfirmTrackerTest);
    CPPUNIT_TEST(testTagsCountFromOneInPublishOrder);
    CPPUNIT_TEST(testSingleAckConfirmsOnlyItsMessage);
    CPPUNIT_TEST(testMultipleAckSettlesEveryTagUpToIt);
    CPPUNIT_TEST(testMultipleAckSpansBatches);
    CPPUNIT_TEST(testNackMarksOnlyItsMessageNacked);
    CPPUNIT_TEST(testNackMultipleSettlesTheRange);
    CPPUNIT_TEST(testReturnThenAckIsUnroutableWithTheReturnsError);
    CPPUNIT_TEST(testReturnThenNackIsNacked);
    CPPUNIT_TEST(testReturnMatchesTheMessageAcrossBatches);
    CPPUNIT_TEST(testReturnWithoutAMatchingMessageIsReportedUnmatched);
    CPPUNIT_TEST(testReturnsOfOneKeyMarkTheOldestUnreturnedMessage);
    CPPUNIT_TEST(testOutOfOrderAcksSettleTheirOwnMessages);
    CPPUNIT_TEST(testUnknownAndRepeatedTagsAreIgnored);
    CPPUNIT_TEST(testConnectionLossFailsEveryUnconfirmedMessage);
    CPPUNIT_TEST(testChannelCloseReplyCodeGoesToNotConfirmedOnly);
    CPPUNIT_TEST(testRestartChannelCountsTagsFromOneAgain);
    CPPUNIT_TEST(testFailUnconfirmedKeepsTheTagCount);
    CPPUNIT_TEST(testFailUnsettledFailsOneBatchAndSparesTheOthers);
    CPPUNIT_TEST(testMessageSettledBeforePublishingKeepsItsOutcome);
    CPPUNIT_TEST(testTakeReturnsOutcomesInBatchOrderWithTheirTokens);
    CPPUNIT_TEST(testTakingAnUnsettledBatchForgetsItsTags);
    CPPUNIT_TEST(testEmptyBatchIsSettledAtOnce);
    CPPUNIT_TEST(testUnknownBatchOrIndexThrows);
    CPPUNIT_TEST(testErrorsNameTheBatchAndTheMessage);
    CPPUNIT_TEST(testPublishingASettledMessageIsRefused);
    CPPUNIT_TEST(testNackThenMultipleAckKeepsTheNack);
    CPPUNIT_TEST(testMultipleAckBeyondTheLastTagSettlesEverything);
    CPPUNIT_TEST(testReturnWithAnEmptyKeyIsNeverMatched);
    CPPUNIT_TEST(testReturnAfterTheAckIsUnmatched);
    CPPUNIT_TEST(testReturnedMessageLostWithItsChannelIsUnroutable);
    CPPUNIT_TEST(testUnconfirmedCountFollowsTheWindow);
    CPPUNIT_TEST(testOldChannelsConfirmsAreIgnoredAfterARestart);
    CPPUNIT_TEST(testBatchIdsAreNeverReused);
    CPPUNIT_TEST_SUITE_END();

public:
    void testTagsCountFromOneInPublishOrder() {
        ConfirmTracker tracker;
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), tracker.lastDeliveryTag());
        BatchId a = tracker.addBatch({7, 8});
        BatchId b = tracker.addBatch({9});
        CPPUNIT_ASSERT(a != b);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), tracker.published(a, 1, "k1"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), tracker.published(b, 0, "k2"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), tracker.published(a, 0, "k0"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), tracker.lastDeliveryTag());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), tracker.unconfirmedCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tracker.batchCount());
    }

    void testSingleAckConfirmsOnlyItsMessage() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({10, 11, 12});
        publishRange(tracker, id, 0, 3);
        tracker.acked(2, false);
        CPPUNIT_ASSERT(tracker.isSettled(id, 1));
        CPPUNIT_ASSERT(!tracker.isSettled(id, 0));
        CPPUNIT_ASSERT(!tracker.isSettled(id, 2));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tracker.unsettledCount(id));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tracker.unconfirmedCount());
        tracker.acked(1, false);
        tracker.acked(3, false);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unsettledCount(id));
        for (const PublishOutcome& o : tracker.take(id)) {
            assertResult(PublishResult::Confirmed, o);
            CPPUNIT_ASSERT(o.error.empty());
            CPPUNIT_ASSERT_EQUAL(std::uint16_t(0), o.channelReplyCode);
        }
    }

    void testMultipleAckSettlesEveryTagUpToIt() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2, 3, 4});
        publishRange(tracker, id, 0, 5);
        tracker.acked(3, true);
        for (std::size_t i = 0; i < 5; ++i)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(i), i < 3, tracker.isSettled(id, i));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tracker.unconfirmedCount());
        tracker.acked(5, true); // covers 4 and 5, skipping the tags already settled
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unconfirmedCount());
        for (const PublishOutcome& o : tracker.take(id))
            assertResult(PublishResult::Confirmed, o);
    }

    void testMultipleAckSpansBatches() {
        ConfirmTracker tracker;
        BatchId a = tracker.addBatch({1, 2});
        BatchId b = tracker.addBatch({3, 4});
        publishRange(tracker, a, 0, 2, "a");
        publishRange(tracker, b, 0, 2, "b");
        tracker.acked(3, true);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unsettledCount(a));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tracker.unsettledCount(b));
        CPPUNIT_ASSERT(tracker.isSettled(b, 0));
        CPPUNIT_ASSERT(!tracker.isSettled(b, 1));
    }

    void testNackMarksOnlyItsMessageNacked() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2});
        publishRange(tracker, id, 0, 3);
        tracker.nacked(2, false, "the broker nacked the message (basic.nack)");
        tracker.acked(3, true);
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        assertResult(PublishResult::Confirmed, outcomes[0]);
        assertResult(PublishResult::Nacked, outcomes[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("the broker nacked the message (basic.nack)"),
                             outcomes[1].error);
        assertResult(PublishResult::Confirmed, outcomes[2]);
    }

    void testNackMultipleSettlesTheRange() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2, 3});
        publishRange(tracker, id, 0, 4);
        tracker.acked(1, false);
        tracker.nacked(3, true, "overflow");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tracker.unconfirmedCount());
        tracker.acked(4, false);
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        assertResult(PublishResult::Confirmed, outcomes[0]); // acked before the nack came
        assertResult(PublishResult::Nacked, outcomes[1]);
        assertResult(PublishResult::Nacked, outcomes[2]);
        CPPUNIT_ASSERT_EQUAL(std::string("overflow"), outcomes[2].error);
        assertResult(PublishResult::Confirmed, outcomes[3]);
    }

    void testReturnThenAckIsUnroutableWithTheReturnsError() {
        // mandatory + no binding: RabbitMQ sends basic.return, then basic.ack for the message.
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2});
        publishRange(tracker, id, 0, 3);
        CPPUNIT_ASSERT(tracker.returned("m1", kNoRoute));
        CPPUNIT_ASSERT(!tracker.isSettled(id, 1)); // the ack settles it, not the return
        tracker.acked(3, true);
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        assertResult(PublishResult::Confirmed, outcomes[0]);
        assertResult(PublishResult::Unroutable, outcomes[1]);
        CPPUNIT_ASSERT_EQUAL(kNoRoute, outcomes[1].error);
        assertResult(PublishResult::Confirmed, outcomes[2]);
        CPPUNIT_ASSERT(outcomes[2].error.empty());
    }

    void testReturnThenNackIsNacked() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0});
        publishRange(tracker, id, 0, 1);
        CPPUNIT_ASSERT(tracker.returned("m0", kNoRoute));
        tracker.nacked(1, false, "nacked");
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        assertResult(PublishResult::Nacked, outcomes[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("nacked"), outcomes[0].error);
    }

    void testReturnMatchesTheMessageAcrossBatches() {
        ConfirmTracker tracker;
        BatchId a = tracker.addBatch({1, 2});
        BatchId b = tracker.addBatch({3, 4});
        publishRange(tracker, a, 0, 2, "a");
        publishRange(tracker, b, 0, 2, "b");
        CPPUNIT_ASSERT(tracker.returned("b0", kNoRoute));
        tracker.acked(4, true);
        std::vector<PublishOutcome> outA = tracker.take(a);
        std::vector<PublishOutcome> outB = tracker.take(b);
        assertResult(PublishResult::Confirmed, outA[0]);
        assertResult(PublishResult::Confirmed, outA[1]);
        assertResult(PublishResult::Unroutable, outB[0]);
        assertResult(PublishResult::Confirmed, outB[1]);
    }

    void testReturnWithoutAMatchingMessageIsReportedUnmatched() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1});
        tracker.published(id, 0, "m0");
        tracker.published(id, 1, ""); // neither message_id nor x-message-id
        CPPUNIT_ASSERT(!tracker.returned("other", kNoRoute));
        CPPUNIT_ASSERT(!tracker.returned("", kNoRoute));
        tracker.acked(1, false);
        CPPUNIT_ASSERT(!tracker.returned("m0", kNoRoute)); // acked already: no longer in flight
        tracker.acked(2, false);
        for (const PublishOutcome& o : tracker.take(id))
            assertResult(PublishResult::Confirmed, o);
    }

    void testReturnsOfOneKeyMarkTheOldestUnreturnedMessage() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2});
        tracker.published(id, 0, "same");
        tracker.published(id, 1, "same");
        tracker.published(id, 2, "same");
        CPPUNIT_ASSERT(tracker.returned("same", "first"));
        CPPUNIT_ASSERT(tracker.returned("same", "second"));
        tracker.acked(3, true);
        CPPUNIT_ASSERT(!tracker.returned("same", "late")); // nothing of that key in flight
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        assertResult(PublishResult::Unroutable, outcomes[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("first"), outcomes[0].error);
        assertResult(PublishResult::Unroutable, outcomes[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("second"), outcomes[1].error);
        assertResult(PublishResult::Confirmed, outcomes[2]);
    }

    void testOutOfOrderAcksSettleTheirOwnMessages() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2, 3, 4});
        publishRange(tracker, id, 0, 5);
        tracker.acked(4, false);
        tracker.nacked(2, false, "nacked");
        tracker.acked(5, true); // the rest up to 5: tags 1 and 3 and 5
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unconfirmedCount());
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        assertResult(PublishResult::Confirmed, outcomes[0]);
        assertResult(PublishResult::Nacked, outcomes[1]);
        assertResult(PublishResult::Confirmed, outcomes[2]);
        assertResult(PublishResult::Confirmed, outcomes[3]);
        assertResult(PublishResult::Confirmed, outcomes[4]);
    }

    void testUnknownAndRepeatedTagsAreIgnored() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1});
        publishRange(tracker, id, 0, 2);
        tracker.acked(99, false); // never published
        tracker.nacked(0, true, "nothing up to 0");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tracker.unconfirmedCount());
        tracker.acked(1, false);
        tracker.nacked(1, false, "too late"); // settled already: the ack stands
        tracker.acked(1, true);               // no tag left up to 1
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tracker.unconfirmedCount());
        tracker.nacked(2, false, "nacked");
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        assertResult(PublishResult::Confirmed, outcomes[0]);
        assertResult(PublishResult::Nacked, outcomes[1]);
    }

    void testConnectionLossFailsEveryUnconfirmedMessage() {
        ConfirmTracker tracker;
        BatchId a = tracker.addBatch({0, 1, 2});
        BatchId b = tracker.addBatch({3, 4});
        publishRange(tracker, a, 0, 3, "a");
        tracker.published(b, 0, "b0"); // b1 is not published yet
        tracker.acked(1, false);
        CPPUNIT_ASSERT(tracker.returned("a2", kNoRoute));
        tracker.failUnconfirmed("connection lost");
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unconfirmedCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unsettledCount(a));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tracker.unsettledCount(b)); // the unpublished one
        tracker.acked(4, true); // a late confirm of the dead channel changes nothing
        std::vector<PublishOutcome> outA = tracker.take(a);
        assertResult(PublishResult::Confirmed, outA[0]);
        assertResult(PublishResult::NotConfirmed, outA[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("connection lost"), outA[1].error);
        assertResult(PublishResult::Unroutable, outA[2]); // returned: certainly not routed
        CPPUNIT_ASSERT_EQUAL(kNoRoute, outA[2].error);
        CPPUNIT_ASSERT(!tracker.isSettled(b, 1));
        assertResult(PublishResult::NotConfirmed, tracker.take(b)[0]);
    }

    void testChannelCloseReplyCodeGoesToNotConfirmedOnly() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2});
        publishRange(tracker, id, 0, 3);
        tracker.acked(1, false);
        tracker.returned("m2", kNoRoute);
        tracker.failUnconfirmed("406 PRECONDITION_FAILED - message size exceeds max", 406);
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(0), outcomes[0].channelReplyCode);
        assertResult(PublishResult::NotConfirmed, outcomes[1]);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(406), outcomes[1].channelReplyCode);
        assertResult(PublishResult::Unroutable, outcomes[2]);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(0), outcomes[2].channelReplyCode);
    }

    void testRestartChannelCountsTagsFromOneAgain() {
        ConfirmTracker tracker;
        BatchId old = tracker.addBatch({0, 1});
        publishRange(tracker, old, 0, 2, "old");
        tracker.restartChannel("the channel closed before the broker confirmed");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), tracker.lastDeliveryTag());
        BatchId fresh = tracker.addBatch({2});
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), tracker.published(fresh, 0, "new"));
        tracker.acked(1, false); // tag 1 of the new channel: the new message, not the old one
        assertResult(PublishResult::Confirmed, tracker.take(fresh)[0]);
        for (const PublishOutcome& o : tracker.take(old)) {
            assertResult(PublishResult::NotConfirmed, o);
            CPPUNIT_ASSERT_EQUAL(std::string("the channel closed before the broker confirmed"),
                                 o.error);
        }
    }

    void testFailUnconfirmedKeepsTheTagCount() {
        // The channel may live on (the failure was not the channel's): its broker keeps
        // counting, so must the tracker.
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2, 3});
        publishRange(tracker, id, 0, 3);
        tracker.failUnconfirmed("lost");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), tracker.published(id, 3, "m3"));
        tracker.acked(4, true);
        assertResult(PublishResult::Confirmed, tracker.take(id)[3]);
    }

    void testFailUnsettledFailsOneBatchAndSparesTheOthers() {
        ConfirmTracker tracker;
        BatchId a = tracker.addBatch({0, 1, 2, 3});
        BatchId b = tracker.addBatch({4, 5});
        publishRange(tracker, a, 0, 3, "a"); // a3 never published
        publishRange(tracker, b, 0, 2, "b");
        tracker.acked(1, false);
        tracker.returned("a1", kNoRoute);
        tracker.failUnsettled(a, "no publisher confirm within 10 ms");
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unsettledCount(a));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tracker.unconfirmedCount()); // b's
        tracker.acked(5, true); // covers a's tags 2 and 3 too: they stay as failed
        std::vector<PublishOutcome> outA = tracker.take(a);
        assertResult(PublishResult::Confirmed, outA[0]);
        assertResult(PublishResult::Unroutable, outA[1]);
        assertResult(PublishResult::NotConfirmed, outA[2]);
        assertResult(PublishResult::NotConfirmed, outA[3]);
        CPPUNIT_ASSERT_EQUAL(std::string("no publisher confirm within 10 ms"), outA[3].error);
        for (const PublishOutcome& o : tracker.take(b))
            assertResult(PublishResult::Confirmed, o);
    }

    void testMessageSettledBeforePublishingKeepsItsOutcome() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1});
        tracker.settle(id, 0, PublishResult::Unroutable, "cannot encode: header 'b' 300");
        CPPUNIT_ASSERT(tracker.isSettled(id, 0));
        CPPUNIT_ASSERT_THROW(tracker.published(id, 0, "m0"), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), tracker.lastDeliveryTag()); // no tag spent
        tracker.settle(id, 0, PublishResult::Confirmed, ""); // the first outcome stands
        tracker.failUnsettled(id, "timeout");
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        assertResult(PublishResult::Unroutable, outcomes[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("cannot encode: header 'b' 300"), outcomes[0].error);
        assertResult(PublishResult::NotConfirmed, outcomes[1]);
    }

    void testTakeReturnsOutcomesInBatchOrderWithTheirTokens() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({42, 7, 1000});
        tracker.published(id, 2, "m2");
        tracker.published(id, 0, "m0");
        tracker.published(id, 1, "m1");
        tracker.acked(3, true);
        std::vector<PublishOutcome> outcomes = tracker.take(id);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), outcomes.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(42), outcomes[0].token);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), outcomes[1].token);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1000), outcomes[2].token);
        CPPUNIT_ASSERT(!tracker.hasBatch(id));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.batchCount());
        CPPUNIT_ASSERT_THROW(tracker.take(id), msgbus::InvalidArgument); // taken already
    }

    void testTakingAnUnsettledBatchForgetsItsTags() {
        ConfirmTracker tracker;
        BatchId a = tracker.addBatch({0, 1});
        BatchId b = tracker.addBatch({2});
        publishRange(tracker, a, 0, 2, "a");
        tracker.published(b, 0, "b0");
        std::vector<PublishOutcome> outA = tracker.take(a);
        assertResult(PublishResult::NotConfirmed, outA[0]);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tracker.unconfirmedCount());
        CPPUNIT_ASSERT(!tracker.returned("a0", kNoRoute));
        tracker.acked(3, true); // a's tags are forgotten, b's is settled
        assertResult(PublishResult::Confirmed, tracker.take(b)[0]);
    }

    void testEmptyBatchIsSettledAtOnce() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({});
        CPPUNIT_ASSERT(tracker.hasBatch(id));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unsettledCount(id));
        CPPUNIT_ASSERT(tracker.take(id).empty());
    }

    void testUnknownBatchOrIndexThrows() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0});
        CPPUNIT_ASSERT_THROW(tracker.published(id + 1, 0, "k"), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_THROW(tracker.published(id, 1, "k"), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_THROW(tracker.settle(id, 5, PublishResult::Unroutable, "x"),
                             msgbus::InvalidArgument);
        CPPUNIT_ASSERT_THROW(tracker.isSettled(id, 1), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_THROW(tracker.unsettledCount(id + 1), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_THROW(tracker.failUnsettled(id + 1, "x"), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), tracker.lastDeliveryTag());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unconfirmedCount());
    }

    void testErrorsNameTheBatchAndTheMessage() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1});
        try {
            tracker.published(id, 2, "k");
            CPPUNIT_FAIL("index 2 of a batch of 2 was accepted");
        } catch (const msgbus::InvalidArgument& e) {
            CPPUNIT_ASSERT_EQUAL("ConfirmTracker: batch " + std::to_string(id) +
                                     " has no message 2 (it has 2)",
                                 std::string(e.what()));
        }
        try {
            tracker.take(id + 7);
            CPPUNIT_FAIL("an untracked batch was taken");
        } catch (const msgbus::InvalidArgument& e) {
            CPPUNIT_ASSERT_EQUAL("ConfirmTracker: batch " + std::to_string(id + 7) +
                                     " is not tracked",
                                 std::string(e.what()));
        }
    }

    void testPublishingASettledMessageIsRefused() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0});
        tracker.settle(id, 0, PublishResult::Unroutable, "no exchange 'x'");
        try {
            tracker.published(id, 0, "m0");
            CPPUNIT_FAIL("a settled message was published");
        } catch (const msgbus::InvalidArgument& e) {
            CPPUNIT_ASSERT_EQUAL("ConfirmTracker: message 0 of batch " + std::to_string(id) +
                                     " is settled; it cannot be published",
                                 std::string(e.what()));
        }
        // The refusal cost no tag: the broker never saw a publish.
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), tracker.lastDeliveryTag());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unconfirmedCount());
    }

    void testNackThenMultipleAckKeepsTheNack() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2});
        publishRange(tracker, id, 0, 3);
        tracker.nacked(2, false, "queue full");
        tracker.acked(3, true);
        const auto out = tracker.take(id);
        assertResult(PublishResult::Confirmed, out[0]);
        assertResult(PublishResult::Nacked, out[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("queue full"), out[1].error);
        assertResult(PublishResult::Confirmed, out[2]);
    }

    void testMultipleAckBeyondTheLastTagSettlesEverything() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1});
        publishRange(tracker, id, 0, 2);
        tracker.acked(1000, true);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unsettledCount(id));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tracker.unconfirmedCount());
        for (const auto& outcome : tracker.take(id))
            assertResult(PublishResult::Confirmed, outcome);
    }

    void testReturnWithAnEmptyKeyIsNeverMatched() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0});
        tracker.published(id, 0, "");
        CPPUNIT_ASSERT(!tracker.returned("", kNoRoute));
        tracker.acked(1, false);
        assertResult(PublishResult::Confirmed, tracker.take(id)[0]);
    }

    void testReturnAfterTheAckIsUnmatched() {
        // basic.return comes before the ack of its message; one after it matches nothing.
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0});
        tracker.published(id, 0, "m0");
        tracker.acked(1, false);
        CPPUNIT_ASSERT(!tracker.returned("m0", kNoRoute));
        assertResult(PublishResult::Confirmed, tracker.take(id)[0]);
    }

    void testReturnedMessageLostWithItsChannelIsUnroutable() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1});
        publishRange(tracker, id, 0, 2);
        CPPUNIT_ASSERT(tracker.returned("m1", kNoRoute));
        tracker.failUnconfirmed("channel closed: 406 PRECONDITION_FAILED", 406);
        const auto out = tracker.take(id);
        assertResult(PublishResult::NotConfirmed, out[0]);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(406), out[0].channelReplyCode);
        assertResult(PublishResult::Unroutable, out[1]);
        CPPUNIT_ASSERT_EQUAL(kNoRoute, out[1].error);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(0), out[1].channelReplyCode);
    }

    void testUnconfirmedCountFollowsTheWindow() {
        ConfirmTracker tracker;
        BatchId id = tracker.addBatch({0, 1, 2, 3});
        publishRange(tracker, id, 0, 4);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), tracker.unconfirmedCount());
        tracker.acked(2, true);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tracker.unconfirmedCount());
        tracker.nacked(4, false, "x");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tracker.unconfirmedCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tracker.unsettledCount(id));
        CPPUNIT_ASSERT(!tracker.isSettled(id, 2));
        CPPUNIT_ASSERT(tracker.isSettled(id, 3));
    }

    void testOldChannelsConfirmsAreIgnoredAfterARestart() {
        ConfirmTracker tracker;
        BatchId a = tracker.addBatch({0, 1});
        publishRange(tracker, a, 0, 2, "a");
        tracker.restartChannel("connection lost");
        BatchId b = tracker.addBatch({2});
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), tracker.published(b, 0, "b0"));
        // Tag 1 now names b's message only; a's are failed already.
        tracker.acked(1, false);
        const auto outA = tracker.take(a);
        assertResult(PublishResult::NotConfirmed, outA[0]);
        assertResult(PublishResult::NotConfirmed, outA[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("connection lost"), outA[0].error);
        assertResult(PublishResult::Confirmed, tracker.take(b)[0]);
    }

    void testBatchIdsAreNeverReused() {
        ConfirmTracker tracker;
        BatchId a = tracker.addBatch({0});
        tracker.take(a);
        BatchId b = tracker.addBatch({0});
        CPPUNIT_ASSERT(a != b);
        CPPUNIT_ASSERT(!tracker.hasBatch(a));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tracker.batchCount());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfirmTrackerTest);
