// How the broker's answers to a batch settle its rows.
#include "core/outbox/BatchOutcomes.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus::core;
using msgbus::core::amqp::PublishOutcome;
using msgbus::core::amqp::PublishResult;

class BatchOutcomesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BatchOutcomesTest);
    CPPUNIT_TEST(testConfirmedRowsAreNamedBySeq);
    CPPUNIT_TEST(testUnroutableIsAnAttempt);
    CPPUNIT_TEST(testNacksAmongAcksAreAttempts);
    CPPUNIT_TEST(testEveryMessageNackedIsPushBackNotAnAttempt);
    CPPUNIT_TEST(testAReturnedMessageCountsAsAcked);
    CPPUNIT_TEST(testNotConfirmedUnderAClosedChannelIsSuspect);
    CPPUNIT_TEST(testNotConfirmedOtherwiseIsTransient);
    CPPUNIT_TEST(testAloneANackOrARefusalIsTheMessagesOwn);
    CPPUNIT_TEST(testAloneNotConfirmedWithoutReplyStaysUnknown);
    CPPUNIT_TEST_SUITE_END();

    static std::vector<OutboxRow> rows(int count) {
        std::vector<OutboxRow> out(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i)
            out[static_cast<std::size_t>(i)].seq = 100 + i;
        return out;
    }

    static PublishOutcome outcome(std::uint64_t token, PublishResult result, std::string error = "",
                                  std::uint16_t reply = 0) {
        PublishOutcome o;
        o.token = token;
        o.result = result;
        o.error = std::move(error);
        o.channelReplyCode = reply;
        return o;
    }

public:
    void testConfirmedRowsAreNamedBySeq() {
        auto sorted = sortOutcomes(
            rows(3), {outcome(2, PublishResult::Confirmed), outcome(0, PublishResult::Confirmed)});
        CPPUNIT_ASSERT((sorted.confirmed == std::vector<std::int64_t>{102, 100}));
        CPPUNIT_ASSERT(!sorted.transient);
        CPPUNIT_ASSERT(sorted.failures.empty());
    }

    void testUnroutableIsAnAttempt() {
        auto sorted = sortOutcomes(rows(2), {outcome(0, PublishResult::Confirmed),
                                             outcome(1, PublishResult::Unroutable, "NO_ROUTE")});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sorted.failures.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sorted.failures[0].index);
        CPPUNIT_ASSERT_EQUAL(std::string("NO_ROUTE"), sorted.failures[0].error);
        CPPUNIT_ASSERT(!sorted.failures[0].permanent);
    }

    void testNacksAmongAcksAreAttempts() {
        auto sorted = sortOutcomes(rows(3), {outcome(0, PublishResult::Confirmed),
                                             outcome(1, PublishResult::Nacked, "full"),
                                             outcome(2, PublishResult::Confirmed)});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sorted.failures.size());
        CPPUNIT_ASSERT_EQUAL(std::string("nacked by the broker: full"), sorted.failures[0].error);
        CPPUNIT_ASSERT(!sorted.transient);
    }

    void testEveryMessageNackedIsPushBackNotAnAttempt() {
        auto sorted = sortOutcomes(
            rows(2), {outcome(0, PublishResult::Nacked), outcome(1, PublishResult::Nacked)});
        CPPUNIT_ASSERT(sorted.failures.empty());
        CPPUNIT_ASSERT(sorted.confirmed.empty());
        CPPUNIT_ASSERT(sorted.transient);
    }

    void testAReturnedMessageCountsAsAcked() {
        // The broker took the batch (a return comes with an ack): the nack is about its row.
        auto sorted = sortOutcomes(rows(2), {outcome(0, PublishResult::Unroutable, "NO_ROUTE"),
                                             outcome(1, PublishResult::Nacked, "x")});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sorted.failures.size());
        CPPUNIT_ASSERT(!sorted.transient);
    }

    void testNotConfirmedUnderAClosedChannelIsSuspect() {
        auto sorted =
            sortOutcomes(rows(3), {outcome(0, PublishResult::Confirmed),
                                   outcome(1, PublishResult::NotConfirmed, "closed", 403),
                                   outcome(2, PublishResult::NotConfirmed, "closed", 406)});
        CPPUNIT_ASSERT((sorted.suspects == std::vector<std::size_t>{1, 2}));
        CPPUNIT_ASSERT(sorted.failures.empty());
        CPPUNIT_ASSERT(!sorted.transient);
    }

    void testNotConfirmedOtherwiseIsTransient() {
        auto sorted = sortOutcomes(rows(2), {outcome(0, PublishResult::Confirmed),
                                             outcome(1, PublishResult::NotConfirmed, "timeout")});
        CPPUNIT_ASSERT(sorted.suspects.empty());
        CPPUNIT_ASSERT(sorted.failures.empty());
        CPPUNIT_ASSERT(sorted.transient);
        CPPUNIT_ASSERT((sorted.confirmed == std::vector<std::int64_t>{100}));
    }

    void testAloneANackOrARefusalIsTheMessagesOwn() {
        auto batch = rows(3);
        BatchOutcomes sorted;
        sortAloneOutcome(batch[0], 0, outcome(0, PublishResult::Nacked, "n"), sorted);
        sortAloneOutcome(batch[1], 1, outcome(1, PublishResult::NotConfirmed, "403", 403), sorted);
        sortAloneOutcome(batch[2], 2, outcome(2, PublishResult::Confirmed), sorted);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sorted.failures.size());
        CPPUNIT_ASSERT_EQUAL(std::string("refused by the broker: 403"), sorted.failures[1].error);
        CPPUNIT_ASSERT((sorted.confirmed == std::vector<std::int64_t>{102}));
        CPPUNIT_ASSERT(!sorted.transient);
    }

    void testAloneNotConfirmedWithoutReplyStaysUnknown() {
        auto batch = rows(1);
        BatchOutcomes sorted;
        sortAloneOutcome(batch[0], 0, outcome(0, PublishResult::NotConfirmed, "lost"), sorted);
        CPPUNIT_ASSERT(sorted.failures.empty());
        CPPUNIT_ASSERT(sorted.transient);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BatchOutcomesTest);
