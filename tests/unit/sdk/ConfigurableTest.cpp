// configuredKeys(): the key walk every plugin's unknown-key check is built on.
#include <msgbus/Configurable.h>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <string>
#include <vector>

using Keys = std::vector<std::string>;

namespace {

Poco::AutoPtr<Poco::Util::MapConfiguration> config(const Keys& keys) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
    for (const auto& key : keys)
        c->setString(key, "v");
    return c;
}

Keys sorted(Keys keys) {
    std::sort(keys.begin(), keys.end());
    return keys;
}

} // namespace

class ConfigurableTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConfigurableTest);
    CPPUNIT_TEST(testEmptyConfigurationHasNoKeys);
    CPPUNIT_TEST(testListsEveryKeyThatHoldsAValue);
    CPPUNIT_TEST(testKeyWithValueAndChildrenIsListedBeforeItsChildren);
    CPPUNIT_TEST(testDottedNamesComeBackAsFullKeys);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEmptyConfigurationHasNoKeys() {
        CPPUNIT_ASSERT(msgbus::configuredKeys(*config({})).empty());
    }

    void testListsEveryKeyThatHoldsAValue() {
        Keys keys{"style", "max_body_bytes", "symfony_namespace"};
        CPPUNIT_ASSERT(sorted(keys) == sorted(msgbus::configuredKeys(*config(keys))));
    }

    // A nested typo under a known key ("style.x") must be seen, and its parent too.
    void testKeyWithValueAndChildrenIsListedBeforeItsChildren() {
        Keys found = msgbus::configuredKeys(*config({"style", "style.x"}));
        CPPUNIT_ASSERT(found == Keys({"style", "style.x"}));
    }

    void testDottedNamesComeBackAsFullKeys() {
        Keys keys{"exchange", "route.order.placed.exchange", "route.order.placed.routing_key",
                  "route.billing.invoice.paid.exchange"};
        Keys found = msgbus::configuredKeys(*config(keys));
        CPPUNIT_ASSERT(sorted(keys) == sorted(found));
        // Intermediate levels ("route", "route.order") hold no value and are not listed.
        CPPUNIT_ASSERT(std::find(found.begin(), found.end(), "route.order") == found.end());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigurableTest);
