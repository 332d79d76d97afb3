// PluginLoader against real plugin libraries: the built-in json and routing plugins and the
// fixtures under tests/plugins. No services: the database is an
// SQLite file the loader never opens.
#include "core/plugins/PluginLoader.h"
#include "core/config/Settings.h"
#include "core/plugins/PluginError.h"
#include "core/plugins/PluginSet.h"
#include "support/TestEnv.h"

#include <msgbus/Id.h>
#include <msgbus/Message.h>
#include <msgbus/PluginAbi.h>
#include <msgbus/testing/FakeHandlerContext.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include <cppunit/extensions/HelperMacros.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fs = std::filesystem;

using msgbus::core::LoadedLibrary;
using msgbus::core::PluginError;
using msgbus::core::PluginLoader;
using msgbus::core::PluginSet;
using msgbus::core::Settings;
using Properties = std::map<std::string, std::string>;

namespace {

void assertContains(const std::string& text, const std::string& part) {
    CPPUNIT_ASSERT_MESSAGE("expected '" + part + "' in: " + text,
                           text.find(part) != std::string::npos);
}

/// True while the object at path is mapped in this process. RTLD_NOLOAD never loads, but
/// counts a reference when it finds the object: give it back at once.
bool isMapped(const std::string& path) {
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (!handle)
        return false;
    ::dlclose(handle);
    return true;
}

/// True while any file under dir is mapped in this process.
bool anythingMappedUnder(const std::string& dir) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line))
        if (line.find(dir + "/") != std::string::npos)
            return true;
    return false;
}

std::shared_ptr<const PluginSet> load(const Properties& properties, std::uint64_t generation = 1) {
    auto config = msgbus::test::configFrom(properties);
    Settings settings = Settings::load(*config);
    PluginLoader loader(pluginManifestOf(settings), config);
    return loader.load(generation);
}

/// The PluginError message of a load that must fail.
std::string loadError(const Properties& properties) {
    try {
        load(properties);
    } catch (const PluginError& e) {
        return e.what();
    }
    CPPUNIT_FAIL("the plugin set loaded, but a PluginError was expected");
    return "";
}

std::shared_ptr<LoadedLibrary> library(const PluginSet& set, const std::string& pluginId) {
    for (const auto& lib : set.libraries)
        if (lib->pluginId() == pluginId)
            return lib;
    CPPUNIT_FAIL("no library loaded for plugin '" + pluginId + "'");
    return nullptr;
}

std::vector<std::string> strings(std::initializer_list<const char*> items) {
    return std::vector<std::string>(items.begin(), items.end());
}

/// Runs handler on a fresh message of the given name; returns the payload of the one message
/// it published, as a JSON object.
Poco::JSON::Object::Ptr handleAndReadPublished(msgbus::Handler& handler, const std::string& name) {
    msgbus::testing::FakeHandlerContext context;
    context.setConsumerName("main");
    context.setAttempt(2);
    msgbus::Message message(name, "{}");
    message.setId(msgbus::Id::generate());
    handler.handle(message, context);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), context.published().size());
    Poco::JSON::Parser parser;
    return parser.parse(context.published().front().payload()).extract<Poco::JSON::Object::Ptr>();
}

std::string versionOf(msgbus::Handler& handler) {
    return handleAndReadPublished(handler, "test.version")->getValue<std::string>("version");
}

/// Replaces target the way a deployment must: a new inode, renamed over the old name, never a
/// rewrite in place (a library rewritten in place changes under a process that has it mapped).
void deploy(const std::string& source, const std::string& target) {
    std::string temp = target + ".tmp";
    fs::copy_file(source, temp, fs::copy_options::overwrite_existing);
    fs::rename(temp, target);
}

} // namespace

class PluginLoaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginLoaderTest);
    CPPUNIT_TEST(testBuiltInAndGoodPluginsLoadWithTheirClasses);
    CPPUNIT_TEST(testBusSerializerAndRoutingArePicked);
    CPPUNIT_TEST(testConfigureGetsOnlyThePluginsOwnView);
    CPPUNIT_TEST(testAbiMismatchIsRefusedBeforeAnyPluginCodeRuns);
    CPPUNIT_TEST(testMissingFileIsRefusedNamingPluginAndPath);
    CPPUNIT_TEST(testRelativePathEscapingPluginsDirIsRefused);
    CPPUNIT_TEST(testAbsolutePathOutsidePluginsDirIsRefused);
    CPPUNIT_TEST(testMissingSymbolIsRefusedAtLoad);
    CPPUNIT_TEST(testLibraryWithoutManifestIsRefused);
    CPPUNIT_TEST(testThrowingConstructorIsRefusedNamingThePlugin);
    CPPUNIT_TEST(testThrowingConfigureIsRefusedNamingThePluginAndKey);
    CPPUNIT_TEST(testFailedLoadUnmapsEverythingItOpened);
    CPPUNIT_TEST(testTwoHandlersForOneNameInOneConsumerAreRefused);
    CPPUNIT_TEST(testConsumerPluginListNarrowsToOneHandler);
    CPPUNIT_TEST(testClassesNamingAClassTheLibraryLacksIsRefused);
    CPPUNIT_TEST(testLibraryIsLoadedFromPrivateCopyAndUnmappedWhenReleased);
    CPPUNIT_TEST(testReloadRunsNewVersionWhileOldObjectsKeepOldCode);
    CPPUNIT_TEST(testNoBuiltPluginHasUniqueSymbols);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        _dir = msgbus::test::tempDir("pluginloader");
        _runtimeDir = _dir + "/runtime";
    }

    void tearDown() override {
        std::error_code ignored;
        fs::remove_all(_dir, ignored);
    }

    void testBuiltInAndGoodPluginsLoadWithTheirClasses() {
        auto set = load(properties({{"plugin.good.library", "libmsgbus-test-good.so"}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), set->libraries.size());
        CPPUNIT_ASSERT(strings({"msgbus::plugins::JsonSerializer"}) ==
                       library(*set, "json")->serializerClasses());
        CPPUNIT_ASSERT(strings({"msgbus::plugins::ConventionRouting"}) ==
                       library(*set, "routing")->routingClasses());
        auto good = library(*set, "good");
        CPPUNIT_ASSERT(strings({"GoodHandler"}) == good->handlerClasses());
        CPPUNIT_ASSERT(good->serializerClasses().empty());
        CPPUNIT_ASSERT(good->routingClasses().empty());
        CPPUNIT_ASSERT_EQUAL(std::string("good"), std::string(good->abi().name));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0.0"), std::string(good->abi().version));
        CPPUNIT_ASSERT_EQUAL(msgbus::test::pluginDir() + "/libmsgbus-test-good.so",
                             good->sourcePath());

        CPPUNIT_ASSERT_EQUAL(std::size_t(1), set->handlers.size());
        const auto& binding = set->handlers.front();
        CPPUNIT_ASSERT_EQUAL(std::string("good"), binding.pluginId);
        CPPUNIT_ASSERT_EQUAL(std::string("GoodHandler"), binding.className);
        CPPUNIT_ASSERT(strings({"test.good"}) == binding.messageNames);
        CPPUNIT_ASSERT(set->handlerFor("main", "test.good") == &binding);
        CPPUNIT_ASSERT(set->handlerFor("main", "test.other") == nullptr);
        CPPUNIT_ASSERT(set->handlerFor("nobody", "test.good") == nullptr);
    }

    void testBusSerializerAndRoutingArePicked() {
        auto set = load(properties({{"plugin.good.library", "libmsgbus-test-good.so"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("json"), set->serializerPlugin);
        CPPUNIT_ASSERT_EQUAL(std::string("routing"), set->routingPlugin);
        CPPUNIT_ASSERT(set->serializer);
        CPPUNIT_ASSERT(set->routing);

        msgbus::Message message("billing.invoice.paid", R"({"amount":12})");
        message.setId(msgbus::Id::generate());
        message.setCreatedAt(1700000000000);
        auto decoded = set->serializer->decode(set->serializer->encode(message));
        CPPUNIT_ASSERT(message.id() == decoded.id());
        CPPUNIT_ASSERT_EQUAL(message.name(), decoded.name());
        // The routing plugin was configured from its own view: plugin.routing.config.exchange.
        auto route = set->routing->route(message);
        CPPUNIT_ASSERT_EQUAL(std::string("ex"), route.exchange);
        CPPUNIT_ASSERT_EQUAL(std::string("billing.invoice.paid"), route.routingKey);
    }

    void testConfigureGetsOnlyThePluginsOwnView() {
        auto set = load(properties({{"plugin.good.library", "libmsgbus-test-good.so"},
                                    {"plugin.good.config.greeting", "hello from the config"}}));
        auto reply =
            handleAndReadPublished(*set->handlerFor("main", "test.good")->handler, "test.good");
        CPPUNIT_ASSERT_EQUAL(std::string("hello from the config"),
                             reply->getValue<std::string>("greeting"));
        // db.connection may hold credentials: a plugin sees plugin.<id>.config.* and nothing else.
        CPPUNIT_ASSERT(!reply->getValue<bool>("seesHostKeys"));
        CPPUNIT_ASSERT_EQUAL(std::string("main"), reply->getValue<std::string>("consumer"));
        CPPUNIT_ASSERT_EQUAL(2, reply->getValue<int>("attempt"));
    }

    void testAbiMismatchIsRefusedBeforeAnyPluginCodeRuns() {
        const std::string initMarker = _dir + "/init-ran";
        const std::string uninitMarker = _dir + "/uninit-ran";
        ::setenv("MSGBUS_TEST_INIT_MARKER", initMarker.c_str(), 1);
        ::setenv("MSGBUS_TEST_UNINIT_MARKER", uninitMarker.c_str(), 1);
        std::string error =
            loadError(properties({{"plugin.newer.library", "libmsgbus-test-abimismatch.so"}}));
        ::unsetenv("MSGBUS_TEST_INIT_MARKER");
        ::unsetenv("MSGBUS_TEST_UNINIT_MARKER");

        assertContains(error, "plugin 'newer'");
        assertContains(error, msgbus::test::pluginDir() + "/libmsgbus-test-abimismatch.so");
        assertContains(error, "SDK ABI version: plugin " + std::to_string(MSGBUS_SDK_ABI + 1) +
                                  ", host " + std::to_string(MSGBUS_SDK_ABI));
        CPPUNIT_ASSERT_MESSAGE("pocoInitializeLibrary ran", !fs::exists(initMarker));
        CPPUNIT_ASSERT_MESSAGE("pocoUninitializeLibrary ran", !fs::exists(uninitMarker));
    }

    void testMissingFileIsRefusedNamingPluginAndPath() {
        std::string error = loadError(properties({{"plugin.absent.library", "libnothere.so"}}));
        assertContains(error, "plugin 'absent'");
        assertContains(error, msgbus::test::pluginDir() + "/libnothere.so");
        assertContains(error, "does not exist");
    }

    void testRelativePathEscapingPluginsDirIsRefused() {
        // The file exists: the refusal is about where it is, not whether it is there.
        const std::string pluginsDir = _dir + "/plugins";
        fs::create_directories(pluginsDir);
        copyBuiltIns(pluginsDir);
        fs::copy_file(msgbus::test::pluginDir() + "/libmsgbus-test-good.so", _dir + "/x.so");
        std::string error = loadError(
            properties({{"plugins.dir", pluginsDir}, {"plugin.escape.library", "../x.so"}}));
        assertContains(error, "plugin 'escape'");
        assertContains(error, "'../x.so'");
        assertContains(error, "outside plugins.dir");
    }

    void testAbsolutePathOutsidePluginsDirIsRefused() {
        const std::string outside = _dir + "/elsewhere/libmsgbus-test-good.so";
        fs::create_directories(_dir + "/elsewhere");
        fs::copy_file(msgbus::test::pluginDir() + "/libmsgbus-test-good.so", outside);
        std::string error = loadError(properties({{"plugin.absolute.library", outside}}));
        assertContains(error, "plugin 'absolute'");
        assertContains(error, outside);
        assertContains(error, "outside plugins.dir");

        // An absolute path inside plugins.dir is fine.
        auto set = load(properties(
            {{"plugin.good.library", msgbus::test::pluginDir() + "/libmsgbus-test-good.so"}}));
        CPPUNIT_ASSERT(set->handlerFor("main", "test.good"));
    }

    void testMissingSymbolIsRefusedAtLoad() {
        std::string error =
            loadError(properties({{"plugin.missing.library", "libmsgbus-test-missingsymbol.so"}}));
        assertContains(error, "plugin 'missing'");
        assertContains(error, msgbus::test::pluginDir() + "/libmsgbus-test-missingsymbol.so");
        assertContains(error, "undefined symbol");
        assertContains(error, "msgbus_test_missing_fn");
    }

    void testLibraryWithoutManifestIsRefused() {
        std::string error =
            loadError(properties({{"plugin.empty.library", "libmsgbus-test-nomanifest.so"}}));
        assertContains(error, "plugin 'empty'");
        assertContains(error, msgbus::test::pluginDir() + "/libmsgbus-test-nomanifest.so");
        assertContains(error, "no manifest");
    }

    void testThrowingConstructorIsRefusedNamingThePlugin() {
        std::string error =
            loadError(properties({{"plugin.thrower.library", "libmsgbus-test-throwing.so"},
                                  {"plugin.thrower.classes", "ThrowingConstructorHandler"}}));
        assertContains(error, "plugin 'thrower'");
        assertContains(error, "ThrowingConstructorHandler");
        assertContains(error, "cannot be constructed");
    }

    void testThrowingConfigureIsRefusedNamingThePluginAndKey() {
        std::string error =
            loadError(properties({{"plugin.thrower.library", "libmsgbus-test-throwing.so"},
                                  {"plugin.thrower.classes", "ThrowingConfigureHandler"}}));
        assertContains(error, "plugin 'thrower'");
        assertContains(error, "ThrowingConfigureHandler::configure");
        assertContains(error, "required_key");

        // Given the key, the same class loads.
        auto set = load(properties({{"plugin.thrower.library", "libmsgbus-test-throwing.so"},
                                    {"plugin.thrower.classes", "ThrowingConfigureHandler"},
                                    {"plugin.thrower.config.required_key", "present"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("ThrowingConfigureHandler"),
                             set->handlerFor("main", "test.throwing")->className);
    }

    void testFailedLoadUnmapsEverythingItOpened() {
        // Plugins load in id order: good, json and routing are open when thrower fails.
        loadError(properties({{"plugin.good.library", "libmsgbus-test-good.so"},
                              {"plugin.thrower.library", "libmsgbus-test-throwing.so"},
                              {"plugin.thrower.classes", "ThrowingConfigureHandler"}}));
        // Nothing under the runtime directory is mapped, and the failed generation's copies
        // are gone with it.
        CPPUNIT_ASSERT_MESSAGE("a copy is still mapped", !anythingMappedUnder(_runtimeDir));
        CPPUNIT_ASSERT(fs::is_empty(_runtimeDir));
    }

    void testTwoHandlersForOneNameInOneConsumerAreRefused() {
        std::string error =
            loadError(properties({{"plugin.good.library", "libmsgbus-test-good.so"},
                                  {"plugin.dup.library", "libmsgbus-test-duplicatename.so"}}));
        assertContains(error, "consumer 'main'");
        assertContains(error, "'test.good'");
        assertContains(error, "good/GoodHandler");
        assertContains(error, "dup/DuplicateHandler");
        assertContains(error, "inbox.consumer.main.plugins");
    }

    void testConsumerPluginListNarrowsToOneHandler() {
        auto set = load(properties({{"plugin.good.library", "libmsgbus-test-good.so"},
                                    {"plugin.dup.library", "libmsgbus-test-duplicatename.so"},
                                    {"inbox.consumers", "main, other"},
                                    {"inbox.consumer.main.plugins", "good"},
                                    {"inbox.consumer.other.queue", "q_other"},
                                    {"inbox.consumer.other.plugins", "dup"}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), set->handlers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("GoodHandler"),
                             set->handlerFor("main", "test.good")->className);
        CPPUNIT_ASSERT_EQUAL(std::string("DuplicateHandler"),
                             set->handlerFor("other", "test.good")->className);
    }

    void testClassesNamingAClassTheLibraryLacksIsRefused() {
        std::string error =
            loadError(properties({{"plugin.good.library", "libmsgbus-test-good.so"},
                                  {"plugin.good.classes", "GoodHandler, NoSuchHandler"}}));
        assertContains(error, "plugin 'good'");
        assertContains(error, "plugin.good.classes");
        assertContains(error, "'NoSuchHandler'");
    }

    void testLibraryIsLoadedFromPrivateCopyAndUnmappedWhenReleased() {
        auto set = load(properties({{"plugin.good.library", "libmsgbus-test-good.so"}}), 7);
        std::vector<std::string> copies;
        for (const auto& lib : set->libraries) {
            CPPUNIT_ASSERT(lib->loadPath() != lib->sourcePath());
            const fs::path generationDir = fs::path(lib->loadPath()).parent_path();
            CPPUNIT_ASSERT_EQUAL(fs::path(_runtimeDir).string(),
                                 generationDir.parent_path().string());
            CPPUNIT_ASSERT(generationDir.filename().string().rfind("gen-7-", 0) == 0);
            CPPUNIT_ASSERT(fs::exists(lib->loadPath()));
            CPPUNIT_ASSERT(isMapped(lib->loadPath()));
            CPPUNIT_ASSERT(!isMapped(lib->sourcePath()));
            copies.push_back(lib->loadPath());
        }
        const std::string goodCopy = library(*set, "good")->loadPath();

        // An object keeps its library mapped after the set is gone...
        std::shared_ptr<msgbus::Handler> handler = set->handlerFor("main", "test.good")->handler;
        set.reset();
        CPPUNIT_ASSERT(isMapped(goodCopy));
        CPPUNIT_ASSERT(handleAndReadPublished(*handler, "test.good")->has("greeting"));
        // ...and releasing the last one really unmaps it (no STB_GNU_UNIQUE, no NODELETE).
        handler.reset();
        for (const auto& copy : copies)
            CPPUNIT_ASSERT_MESSAGE(copy + " is still mapped", !isMapped(copy));
        // ...after which the generation's copies and directory are removed.
        CPPUNIT_ASSERT(fs::is_empty(_runtimeDir));
    }

    void testReloadRunsNewVersionWhileOldObjectsKeepOldCode() {
        const std::string pluginsDir = _dir + "/plugins";
        const std::string deployed = pluginsDir + "/libversioned.so";
        fs::create_directories(pluginsDir);
        copyBuiltIns(pluginsDir);
        deploy(msgbus::test::pluginDir() + "/libmsgbus-test-v1.so", deployed);
        const Properties props = properties(
            {{"plugins.dir", pluginsDir}, {"plugin.versioned.library", "libversioned.so"}});

        auto gen1 = load(props, 1);
        std::shared_ptr<msgbus::Handler> v1 = gen1->handlerFor("main", "test.version")->handler;
        const std::string copy1 = library(*gen1, "versioned")->loadPath();
        CPPUNIT_ASSERT_EQUAL(std::string("v1"), versionOf(*v1));

        // Redeploy at the same path, then build generation 2 from the same configuration.
        deploy(msgbus::test::pluginDir() + "/libmsgbus-test-v2.so", deployed);
        auto gen2 = load(props, 2);
        std::shared_ptr<msgbus::Handler> v2 = gen2->handlerFor("main", "test.version")->handler;
        const std::string copy2 = library(*gen2, "versioned")->loadPath();
        CPPUNIT_ASSERT(copy1 != copy2);
        CPPUNIT_ASSERT_EQUAL(std::string("v2"),
                             std::string(library(*gen2, "versioned")->abi().version));
        CPPUNIT_ASSERT_EQUAL(std::string("v2"), versionOf(*v2));
        // Both images are live, and neither binds to the other's code (RTLD_LOCAL, hidden).
        CPPUNIT_ASSERT_EQUAL(std::string("v1"), versionOf(*v1));
        CPPUNIT_ASSERT(isMapped(copy1));
        CPPUNIT_ASSERT(isMapped(copy2));

        // Generation 1 goes when its set and its last object are released (the drain).
        gen1.reset();
        CPPUNIT_ASSERT(isMapped(copy1));
        CPPUNIT_ASSERT_EQUAL(std::string("v1"), versionOf(*v1));
        v1.reset();
        CPPUNIT_ASSERT_MESSAGE(copy1 + " is still mapped", !isMapped(copy1));
        CPPUNIT_ASSERT(isMapped(copy2));
        CPPUNIT_ASSERT_EQUAL(std::string("v2"), versionOf(*v2));
    }

    void testNoBuiltPluginHasUniqueSymbols() {
        // An STB_GNU_UNIQUE symbol makes a library impossible to unload.
        std::vector<std::string> checked;
        for (const auto& entry : fs::directory_iterator(msgbus::test::pluginDir())) {
            if (entry.path().extension() != ".so")
                continue;
            const std::string path = entry.path().string();
            std::string output;
            msgbus::test::runCommand("readelf -Ws --wide '" + path + "' | grep -c UNIQUE", &output);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path + " has STB_GNU_UNIQUE symbols", std::string("0"),
                                         Poco::trim(output));
            checked.push_back(entry.path().filename().string());
        }
        for (const char* expected :
             {"libmsgbus-json.so", "libmsgbus-routing.so", "libmsgbus-test-good.so",
              "libmsgbus-test-v1.so", "libmsgbus-test-v2.so", "libmsgbus-test-missingsymbol.so"})
            CPPUNIT_ASSERT_MESSAGE(std::string(expected) + " was not built",
                                   std::find(checked.begin(), checked.end(), expected) !=
                                       checked.end());
    }

private:
    /// The base properties (json + routing from the build's plugin directory, an SQLite file,
    /// one consumer "main") with this test's runtime directory; extra entries override.
    Properties properties(const Properties& extra) const {
        Properties p = msgbus::test::baseProperties("SQLite", _dir + "/bus.db", "ex",
                                                    {{"plugins.runtime_dir", _runtimeDir},
                                                     {"inbox.consumers", "main"},
                                                     {"inbox.consumer.main.queue", "q_main"}});
        for (const auto& [key, value] : extra)
            p[key] = value;
        return p;
    }

    /// json and routing, for tests that use a plugins.dir of their own.
    static void copyBuiltIns(const std::string& pluginsDir) {
        for (const char* name : {"libmsgbus-json.so", "libmsgbus-routing.so"})
            fs::copy_file(msgbus::test::pluginDir() + "/" + name, pluginsDir + "/" + name);
    }

    std::string _dir;
    std::string _runtimeDir;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginLoaderTest);
