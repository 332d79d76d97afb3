// A plugin set that would leave the host worse off is refused as a whole, so a reload keeps the
// running set: plugin code throwing something that is not a std::exception, and a consumer left
// without any handler. Real plugin libraries; the database is an SQLite file never opened.
#include "core/config/Settings.h"
#include "core/plugins/PluginError.h"
#include "core/plugins/PluginLoader.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using Properties = std::map<std::string, std::string>;

class ReloadSafetyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReloadSafetyTest);
    CPPUNIT_TEST(testMessageNamesThrowingANonStdExceptionFailsTheLoad);
    CPPUNIT_TEST(testConsumerLeftWithoutHandlersFailsTheLoad);
    CPPUNIT_TEST(testConsumerWithHandlersLoads);
    CPPUNIT_TEST_SUITE_END();

    static Properties properties(const Properties& extra) {
        return test::baseProperties("SQLite", test::tempDir("reload") + "/bus.db", "reload_ex",
                                    extra);
    }

    /// The PluginError text of a load that must fail.
    static std::string loadError(const Properties& extra) {
        auto config = test::configFrom(properties(extra));
        auto settings = core::Settings::load(*config);
        try {
            core::PluginLoader(core::pluginManifestOf(settings), config).load(2);
        } catch (const core::PluginError& e) {
            return e.what();
        }
        CPPUNIT_FAIL("the plugin set loaded, but a PluginError was expected");
        return "";
    }

    static void assertContains(const std::string& text, const std::string& part) {
        CPPUNIT_ASSERT_MESSAGE("expected '" + part + "' in: " + text,
                               text.find(part) != std::string::npos);
    }

public:
    void testMessageNamesThrowingANonStdExceptionFailsTheLoad() {
        auto error = loadError({{"plugin.throwing.library", "libmsgbus-test-throwing.so"},
                                {"plugin.throwing.classes", "ThrowingNamesHandler"}});
        assertContains(error, "ThrowingNamesHandler::messageNames");
        assertContains(error, "not a std::exception");
    }

    void testConsumerLeftWithoutHandlersFailsTheLoad() {
        // The consumer is narrowed to a plugin that exports no handler.
        auto error = loadError({{"plugin.orders.library", "liborders-handlers.so"},
                                {"inbox.consumers", "orders"},
                                {"inbox.consumer.orders.queue", "orders"},
                                {"inbox.consumer.orders.plugins", "json"}});
        assertContains(error, "consumer 'orders'");
        assertContains(error, "no loaded handler");
    }

    void testConsumerWithHandlersLoads() {
        auto config =
            test::configFrom(properties({{"plugin.orders.library", "liborders-handlers.so"},
                                         {"inbox.consumers", "orders"},
                                         {"inbox.consumer.orders.queue", "orders"},
                                         {"inbox.consumer.orders.plugins", "orders"}}));
        auto settings = core::Settings::load(*config);
        auto set = core::PluginLoader(core::pluginManifestOf(settings), config).load(2);
        CPPUNIT_ASSERT(!set->dispatch.at("orders").empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReloadSafetyTest);
