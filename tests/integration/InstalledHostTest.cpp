// What `cmake --install build --prefix P` gives a user: P/bin/msgbus must start as installed,
// finding libmsgbus-sdk.so and the built-in plugins under P without LD_LIBRARY_PATH.
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <map>
#include <string>

namespace fs = std::filesystem;

namespace {} // namespace

class InstalledHostTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(InstalledHostTest);
    CPPUNIT_TEST(testInstalledBinaryStartsAndLoadsInstalledPlugins);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _dir = msgbus::test::tempDir("installed"); }

    void tearDown() override {
        std::error_code ignored;
        fs::remove_all(_dir, ignored);
    }

    void testInstalledBinaryStartsAndLoadsInstalledPlugins() {
        const std::string prefix = _dir + "/prefix";
        std::string output;
        int rc = msgbus::test::runCommand("cmake --install " +
                                              msgbus::test::shellQuoted(msgbus::test::buildDir()) +
                                              " --prefix " + msgbus::test::shellQuoted(prefix),
                                          &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        const std::string binary = prefix + "/bin/msgbus";
        CPPUNIT_ASSERT_MESSAGE(binary + " was not installed", fs::exists(binary));

        rc = msgbus::test::runCommand(
            msgbus::test::withoutLibraryPath(msgbus::test::shellQuoted(binary) + " --help"),
            &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("usage: msgbus <command>") != std::string::npos);

        const std::string pluginsDir = findPluginsDir(prefix);
        const std::string config = msgbus::test::writeProperties(
            _dir + "/msgbus.properties",
            {{"db.connector", "SQLite"},
             {"db.connection", _dir + "/bus.db"},
             {"amqp.url", "amqp://u:p@127.0.0.1:1/%2f"}, // `plugins` never connects
             {"plugins.dir", pluginsDir},
             {"plugin.json.library", "libmsgbus-json.so"},
             {"plugin.routing.library", "libmsgbus-routing.so"}});
        rc = msgbus::test::runCommand(msgbus::test::withoutLibraryPath(
                                          msgbus::test::shellQuoted(binary) + " plugins --config " +
                                          msgbus::test::shellQuoted(config)),
                                      &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("json: " + pluginsDir) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("(bus.serializer)") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("(bus.routing)") != std::string::npos);
    }

private:
    /// <prefix>/<libdir>/msgbus/plugins, whatever libdir this build installs to.
    static std::string findPluginsDir(const std::string& prefix) {
        for (const auto& entry : fs::recursive_directory_iterator(prefix))
            if (entry.path().filename() == "libmsgbus-json.so")
                return entry.path().parent_path().string();
        CPPUNIT_FAIL("no libmsgbus-json.so installed under " + prefix);
        return "";
    }

    std::string _dir;
};

CPPUNIT_TEST_SUITE_REGISTRATION(InstalledHostTest);
