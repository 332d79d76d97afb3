// The notes FailedStore writes when a body is not stored whole, as GuardedChange recognises them:
// failed:retry must never run such a row.
#include "core/failed/GuardedChange.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::bodyCutNote;
using msgbus::core::bodyDroppedNote;
using msgbus::core::GuardedChange;

class GuardedChangeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GuardedChangeTest);
    CPPUNIT_TEST(testCutAndDroppedBodiesAreRecognised);
    CPPUNIT_TEST(testNotesOfRowsStoredBeforeAreRecognisedAtTheEnd);
    CPPUNIT_TEST(testAnOrdinaryErrorIsNotACut);
    CPPUNIT_TEST(testTheCutNoteSaysHowMuchWasStored);
    CPPUNIT_TEST_SUITE_END();

public:
    void testCutAndDroppedBodiesAreRecognised() {
        CPPUNIT_ASSERT(GuardedChange::bodyWasCut(bodyCutNote(100, 5000) + "HandlerFailed"));
        CPPUNIT_ASSERT(
            GuardedChange::bodyWasCut(bodyDroppedNote(5000, "Data too long") + "HandlerFailed"));
    }

    void testNotesOfRowsStoredBeforeAreRecognisedAtTheEnd() {
        CPPUNIT_ASSERT(GuardedChange::bodyWasCut(
            "boom [body cut: the first 16777216 of 20000000 bytes are stored]"));
        CPPUNIT_ASSERT(GuardedChange::bodyWasCut(
            "boom [the headers and the body (12 bytes) could not be stored: x]"));
    }

    void testAnOrdinaryErrorIsNotACut() {
        CPPUNIT_ASSERT(!GuardedChange::bodyWasCut("NO_ROUTE for a test"));
        CPPUNIT_ASSERT(!GuardedChange::bodyWasCut("the body was cut by the producer"));
    }

    void testTheCutNoteSaysHowMuchWasStored() {
        CPPUNIT_ASSERT_EQUAL(std::string("[body cut: the first 100 of 5000 bytes are stored] "),
                             bodyCutNote(100, 5000));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GuardedChangeTest);
