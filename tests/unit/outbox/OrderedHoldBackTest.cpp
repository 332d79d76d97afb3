// Ordered lanes: a key's rows behind one that did not go out are settled neither way.
#include "core/outbox/OrderedHoldBack.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus::core;

class OrderedHoldBackTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OrderedHoldBackTest);
    CPPUNIT_TEST(testEverythingConfirmedStaysConfirmed);
    CPPUNIT_TEST(testRowsWithoutKeyAreNeverHeld);
    CPPUNIT_TEST(testAFailedRowHoldsItsKeysLaterRowsOnly);
    CPPUNIT_TEST(testAnUnknownRowHoldsItsKeysLaterRowsToo);
    CPPUNIT_TEST(testRowsBeforeTheFailureAreSettled);
    CPPUNIT_TEST(testALaterFailureOfAHeldKeyIsNotRecorded);
    CPPUNIT_TEST(testFailuresOfRowsWithoutKeyAreKept);
    CPPUNIT_TEST_SUITE_END();

    /// Rows with seq 10, 20, ... and the given keys ("" = no key).
    static std::vector<OutboxRow> rows(const std::vector<std::string>& keys) {
        std::vector<OutboxRow> out;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            OutboxRow row;
            row.seq = static_cast<std::int64_t>(10 * (i + 1));
            if (!keys[i].empty())
                row.partitionKey = keys[i];
            out.push_back(row);
        }
        return out;
    }

public:
    void testEverythingConfirmedStaysConfirmed() {
        auto batch = rows({"a", "a", "b"});
        std::vector<std::int64_t> confirmed{10, 20, 30};
        std::vector<RowFailure> failures;
        holdBackBehindFailures(batch, confirmed, failures);
        CPPUNIT_ASSERT((confirmed == std::vector<std::int64_t>{10, 20, 30}));
        CPPUNIT_ASSERT(failures.empty());
    }

    void testRowsWithoutKeyAreNeverHeld() {
        auto batch = rows({"", "", ""});
        std::vector<std::int64_t> confirmed{10, 30};
        std::vector<RowFailure> failures{{1, "unroutable"}};
        holdBackBehindFailures(batch, confirmed, failures);
        CPPUNIT_ASSERT((confirmed == std::vector<std::int64_t>{10, 30}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failures.size());
    }

    void testAFailedRowHoldsItsKeysLaterRowsOnly() {
        auto batch = rows({"a", "b", "a", "b", "a"});
        std::vector<std::int64_t> confirmed{20, 30, 40, 50};
        std::vector<RowFailure> failures{{0, "unroutable"}};
        holdBackBehindFailures(batch, confirmed, failures);
        CPPUNIT_ASSERT((confirmed == std::vector<std::int64_t>{20, 40}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failures.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), failures[0].index);
    }

    void testAnUnknownRowHoldsItsKeysLaterRowsToo() {
        // Row 1 (key a) is neither confirmed nor failed: its confirm was lost.
        auto batch = rows({"a", "a", "a"});
        std::vector<std::int64_t> confirmed{10, 30};
        std::vector<RowFailure> failures;
        holdBackBehindFailures(batch, confirmed, failures);
        CPPUNIT_ASSERT((confirmed == std::vector<std::int64_t>{10}));
    }

    void testRowsBeforeTheFailureAreSettled() {
        auto batch = rows({"a", "a", "a"});
        std::vector<std::int64_t> confirmed{10, 20};
        std::vector<RowFailure> failures{{2, "refused"}};
        holdBackBehindFailures(batch, confirmed, failures);
        CPPUNIT_ASSERT((confirmed == std::vector<std::int64_t>{10, 20}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), failures.at(0).index);
    }

    void testALaterFailureOfAHeldKeyIsNotRecorded() {
        // Its attempt would be counted against a row that only waited behind another.
        auto batch = rows({"a", "a"});
        std::vector<std::int64_t> confirmed;
        std::vector<RowFailure> failures{{0, "first"}, {1, "second"}};
        holdBackBehindFailures(batch, confirmed, failures);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failures.size());
        CPPUNIT_ASSERT_EQUAL(std::string("first"), failures[0].error);
    }

    void testFailuresOfRowsWithoutKeyAreKept() {
        auto batch = rows({"a", "", "a", ""});
        std::vector<std::int64_t> confirmed{30};
        std::vector<RowFailure> failures{{0, "x"}, {1, "y", true}, {3, "z"}};
        holdBackBehindFailures(batch, confirmed, failures);
        CPPUNIT_ASSERT(confirmed.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), failures.size());
        CPPUNIT_ASSERT(failures[1].permanent);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OrderedHoldBackTest);
