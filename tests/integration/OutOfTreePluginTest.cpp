// A plugin built outside this repository: install the SDK with `cmake --install`,
// build tests/plugins/outoftree against the installed tree with find_package(msgbus), and load
// the result through the host's PluginLoader.
#include "core/config/Settings.h"
#include "core/plugins/PluginLoader.h"
#include "core/plugins/PluginSet.h"
#include "support/TestEnv.h"

#include <msgbus/Id.h>
#include <msgbus/Message.h>
#include <msgbus/testing/FakeHandlerContext.h>

#include <Poco/String.h>

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <map>
#include <string>

namespace fs = std::filesystem;

namespace {} // namespace

class OutOfTreePluginTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutOfTreePluginTest);
    CPPUNIT_TEST(testPluginBuiltAgainstInstalledSdkLoads);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _dir = msgbus::test::tempDir("outoftree"); }

    void tearDown() override {
        std::error_code ignored;
        fs::remove_all(_dir, ignored);
    }

    void testPluginBuiltAgainstInstalledSdkLoads() {
        const std::string prefix = _dir + "/prefix";
        const std::string build = _dir + "/oot";

        // The whole install, no component: what a packager or `make install` does.
        msgbus::test::runChecked("cmake --install " +
                                 msgbus::test::shellQuoted(msgbus::test::buildDir()) +
                                 " --prefix " + msgbus::test::shellQuoted(prefix));
        for (const char* file :
             {"include/msgbus/Plugin.h", "include/msgbus/PluginAbi.h",
              "include/msgbus/testing/FakeHandlerContext.h", "lib/libmsgbus-sdk.so",
              "lib/cmake/msgbus/msgbusConfig.cmake", "lib/cmake/msgbus/msgbusConfigVersion.cmake",
              "lib/cmake/msgbus/msgbusTargets.cmake", "lib/cmake/msgbus/MsgbusPlugin.cmake",
              "lib/cmake/msgbus/MsgbusDependencies.cmake"})
            CPPUNIT_ASSERT_MESSAGE(prefix + "/" + file + " was not installed",
                                   fs::exists(prefix + "/" + file));

        msgbus::test::runChecked(
            "cmake -S " +
            msgbus::test::shellQuoted(msgbus::test::sourceDir() + "/tests/plugins/outoftree") +
            " -B " + msgbus::test::shellQuoted(build) +
            " -DCMAKE_PREFIX_PATH=" + msgbus::test::shellQuoted(prefix));
        msgbus::test::runChecked("cmake --build " + msgbus::test::shellQuoted(build));
        const std::string library = build + "/liboutoftree.so";
        CPPUNIT_ASSERT_MESSAGE(library + " was not built", fs::exists(library));

        // msgbus_add_plugin() from the installed package applied the loader's flags.
        std::string dynamic =
            msgbus::test::runChecked("readelf -d --wide " + msgbus::test::shellQuoted(library));
        CPPUNIT_ASSERT_MESSAGE(dynamic, dynamic.find("BIND_NOW") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(dynamic, dynamic.find("libmsgbus-sdk.so.") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("0"),
                             Poco::trim(msgbus::test::runChecked(
                                 "readelf -Ws --wide " + msgbus::test::shellQuoted(library) +
                                 " | grep -c UNIQUE || true")));

        auto properties = msgbus::test::baseProperties("SQLite", _dir + "/bus.db", "ex",
                                                       {{"plugins.dir", build},
                                                        {"plugins.runtime_dir", _dir + "/runtime"},
                                                        {"plugin.oot.library", "liboutoftree.so"},
                                                        {"inbox.consumers", "main"},
                                                        {"inbox.consumer.main.queue", "q_main"}});
        // Only the out-of-tree plugin: the built-in ones are not in this plugins.dir.
        for (const char* key : {"plugin.json.library", "plugin.routing.library",
                                "plugin.routing.config.exchange", "bus.serializer", "bus.routing"})
            properties.erase(key);
        auto config = msgbus::test::configFrom(properties);
        auto settings = msgbus::core::Settings::load(*config);
        auto set =
            msgbus::core::PluginLoader(msgbus::core::pluginManifestOf(settings), config).load(1);

        const auto* binding = set->handlerFor("main", "test.outoftree");
        CPPUNIT_ASSERT(binding);
        CPPUNIT_ASSERT_EQUAL(std::string("oot"), binding->pluginId);
        CPPUNIT_ASSERT_EQUAL(std::string("OutOfTreeHandler"), binding->className);
        CPPUNIT_ASSERT_EQUAL(std::string("outoftree"),
                             std::string(set->libraries.front()->abi().name));

        msgbus::testing::FakeHandlerContext context;
        msgbus::Message message("test.outoftree", R"({"n":1})");
        message.setId(msgbus::Id::generate());
        binding->handler->handle(message, context);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), context.published().size());
        CPPUNIT_ASSERT_EQUAL(std::string("test.outoftree.seen"), context.published()[0].name());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":1})"), context.published()[0].payload());
    }

private:
    std::string _dir;
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutOfTreePluginTest);
