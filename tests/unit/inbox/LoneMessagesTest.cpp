// LoneMessages: the messages of a batch call that lost the connection are remembered until
// they are settled, the oldest forgotten first beyond the capacity.
#include "core/inbox/LoneMessages.h"

#include <cppunit/extensions/HelperMacros.h>

#include <vector>

using msgbus::Id;
using msgbus::core::LoneMessages;

class LoneMessagesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LoneMessagesTest);
    CPPUNIT_TEST(testRememberedUntilForgotten);
    CPPUNIT_TEST(testOldestGoFirstBeyondTheCapacity);
    CPPUNIT_TEST(testForgottenIdsDoNotCrowdOutTheOthers);
    CPPUNIT_TEST_SUITE_END();

public:
    void testRememberedUntilForgotten() {
        LoneMessages lone;
        CPPUNIT_ASSERT(lone.empty());
        const Id a = Id::generate(), b = Id::generate();
        lone.remember({a, b});
        CPPUNIT_ASSERT(lone.contains(a) && lone.contains(b));
        lone.forget(a);
        CPPUNIT_ASSERT(!lone.contains(a) && lone.contains(b));
        lone.forget(b);
        CPPUNIT_ASSERT(lone.empty());
    }

    void testOldestGoFirstBeyondTheCapacity() {
        LoneMessages lone(3);
        std::vector<Id> ids;
        for (int i = 0; i < 5; ++i)
            ids.push_back(Id::generate());
        lone.remember({ids[0], ids[1], ids[2]});
        lone.remember({ids[3], ids[4]});
        CPPUNIT_ASSERT(!lone.contains(ids[0]) && !lone.contains(ids[1]));
        CPPUNIT_ASSERT(lone.contains(ids[2]) && lone.contains(ids[3]) && lone.contains(ids[4]));
    }

    void testForgottenIdsDoNotCrowdOutTheOthers() {
        LoneMessages lone(2);
        const Id kept = Id::generate();
        lone.remember({kept});
        for (int i = 0; i < 100; ++i) {
            const Id passing = Id::generate();
            lone.remember({passing});
            lone.forget(passing);
        }
        CPPUNIT_ASSERT(lone.contains(kept));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LoneMessagesTest);
