// AckLedger: the frames that settle exactly one lane's deliveries, never another lane's.
#include "core/inbox/AckLedger.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::AckLedger;
using Frames = std::vector<AckLedger::Frame>;
using Tags = std::vector<std::uint64_t>;

class AckLedgerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AckLedgerTest);
    CPPUNIT_TEST(testTheLowestUnsettledRunIsOneMultipleFrame);
    CPPUNIT_TEST(testALaneAboveAnUnfinishedLaneAcksTagByTag);
    CPPUNIT_TEST(testOnceTheLowerLaneSettlesItsRunIsOneFrameAgain);
    CPPUNIT_TEST(testTagsOfALaneNeverIncludeAnotherLanes);
    CPPUNIT_TEST(testUnknownAndRepeatedTagsAreNeverSent);
    CPPUNIT_TEST(testASingleLowestTagIsNotMultiple);
    CPPUNIT_TEST(testResetForgetsTheOldConnection);
    CPPUNIT_TEST_SUITE_END();

public:
    void testTheLowestUnsettledRunIsOneMultipleFrame() {
        AckLedger ledger;
        for (std::uint64_t tag = 1; tag <= 5; ++tag)
            ledger.received(tag, 0);
        CPPUNIT_ASSERT(ledger.settle(ledger.tagsOf(0, 5, true)) == Frames({{5, true}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), ledger.unsettled());
    }

    void testALaneAboveAnUnfinishedLaneAcksTagByTag() {
        AckLedger ledger;
        for (std::uint64_t tag = 1; tag <= 3; ++tag)
            ledger.received(tag, 0);
        for (std::uint64_t tag = 4; tag <= 6; ++tag)
            ledger.received(tag, 1);
        // "multiple" at 6 would settle lane 0's running deliveries 1-3 too.
        CPPUNIT_ASSERT(ledger.settle(ledger.tagsOf(1, 6, true)) ==
                       Frames({{4, false}, {5, false}, {6, false}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), ledger.unsettled(0));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), ledger.unsettled(1));
    }

    void testOnceTheLowerLaneSettlesItsRunIsOneFrameAgain() {
        AckLedger ledger;
        ledger.received(1, 0);
        ledger.received(2, 1);
        ledger.received(3, 0);
        ledger.received(4, 1);
        CPPUNIT_ASSERT(ledger.settle(ledger.tagsOf(0, 3, true)) ==
                       Frames({{1, false}, {3, false}}));
        CPPUNIT_ASSERT(ledger.settle(ledger.tagsOf(1, 4, true)) == Frames({{4, true}}));
    }

    void testTagsOfALaneNeverIncludeAnotherLanes() {
        AckLedger ledger;
        ledger.received(1, 0);
        ledger.received(2, 1);
        ledger.received(3, 0);
        ledger.received(7, 0);
        CPPUNIT_ASSERT(ledger.tagsOf(0, 3, true) == Tags({1, 3}));
        CPPUNIT_ASSERT(ledger.tagsOf(0, 3, false) == Tags({3}));
        CPPUNIT_ASSERT(ledger.tagsOf(1, 3, false) == Tags());
        CPPUNIT_ASSERT(ledger.tagsOf(1, 100, true) == Tags({2}));
    }

    void testUnknownAndRepeatedTagsAreNeverSent() {
        AckLedger ledger;
        ledger.received(1, 0);
        ledger.received(2, 0);
        CPPUNIT_ASSERT(ledger.settle({2, 2, 9}) == Frames({{2, false}}));
        // A tag the broker no longer holds would close the channel.
        CPPUNIT_ASSERT(ledger.settle({2}) == Frames());
        CPPUNIT_ASSERT(ledger.settle({1}) == Frames({{1, false}}));
    }

    void testASingleLowestTagIsNotMultiple() {
        AckLedger ledger;
        ledger.received(1, 0);
        ledger.received(2, 1);
        CPPUNIT_ASSERT(ledger.settle({1}) == Frames({{1, false}}));
    }

    void testResetForgetsTheOldConnection() {
        AckLedger ledger;
        ledger.received(1, 0);
        ledger.received(2, 1);
        ledger.reset();
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), ledger.unsettled());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), ledger.unsettled(1));
        CPPUNIT_ASSERT(ledger.settle({1, 2}) == Frames());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AckLedgerTest);
