// Where the host puts its private copies of plugin libraries (plugins.runtime_dir): an
// operator's directory is checked and never emptied, nothing found there is trusted or
// followed, and the default is a private directory that goes with the process.
#include "core/plugins/PluginRuntimeDir.h"
#include "core/config/ConfigError.h"
#include "core/config/Settings.h"
#include "core/plugins/PluginGenerationDir.h"
#include "core/plugins/PluginLoader.h"
#include "support/TestEnv.h"

#include <Poco/DigestStream.h>
#include <Poco/FileStream.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using msgbus::core::PluginRuntimeDir;

namespace {

using Properties = std::map<std::string, std::string>;

std::set<std::string> entries(const std::string& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.insert(entry.path().filename().string());
    return names;
}

std::string sha256Prefix(const std::string& path) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    Poco::DigestOutputStream digest(engine);
    Poco::FileInputStream in(path);
    Poco::StreamCopier::copyStream(in, digest);
    digest.close();
    return Poco::DigestEngine::digestToHex(engine.digest()).substr(0, 12);
}

mode_t modeOf(const std::string& path) {
    struct stat st {};
    CPPUNIT_ASSERT_EQUAL(0, ::lstat(path.c_str(), &st));
    return st.st_mode & 07777;
}

/// Sets (or, with nullptr, unsets) an environment variable for the scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : _name(name) {
        if (const char* old = std::getenv(name))
            _old = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (_old)
            ::setenv(_name, _old->c_str(), 1);
        else
            ::unsetenv(_name);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* _name;
    std::optional<std::string> _old;
};

} // namespace

class PluginRuntimeDirTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginRuntimeDirTest);
    CPPUNIT_TEST(testOperatorsFileInConfiguredRuntimeDirSurvivesPluginsCommand);
    CPPUNIT_TEST(testGroupOrWorldWritableRuntimeDirIsRefusedNamingTheKey);
    CPPUNIT_TEST(testRuntimeDirUnderADirectoryOthersCanChangeIsRefused);
    CPPUNIT_TEST(testSymlinkedRuntimeDirIsUsedByItsResolvedPath);
    CPPUNIT_TEST(testPlantedGenerationSymlinkIsNotFollowed);
    CPPUNIT_TEST(testExistingFileOrSymlinkAtTheCopysNameIsNeverUsed);
    CPPUNIT_TEST(testDefaultRuntimeDirIsPrivateAndRemovedAfterUse);
    CPPUNIT_TEST(testDefaultRuntimeDirOfTheBinaryIsGoneAfterExit);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _dir = msgbus::test::tempDir("runtimedir"); }

    void tearDown() override {
        std::error_code ignored;
        fs::permissions(_dir, fs::perms::owner_all, fs::perm_options::add, ignored);
        fs::remove_all(_dir, ignored);
    }

    void testOperatorsFileInConfiguredRuntimeDirSurvivesPluginsCommand() {
        // Was: `msgbus plugins` ended with remove_all(plugins.runtime_dir).
        const std::string runtime = _dir + "/runtime";
        fs::create_directory(runtime);
        fs::permissions(runtime, fs::perms::owner_all);
        std::ofstream(runtime + "/operator-notes.txt") << "keep me\n";

        std::string output;
        int rc = runBinary("plugins", properties({{"plugins.runtime_dir", runtime}}), &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("json: ") != std::string::npos);
        // Only the operator's file is left: this run's generation directory went with it.
        CPPUNIT_ASSERT(std::set<std::string>{"operator-notes.txt"} == entries(runtime));
        std::ifstream in(runtime + "/operator-notes.txt");
        std::string line;
        std::getline(in, line);
        CPPUNIT_ASSERT_EQUAL(std::string("keep me"), line);
    }

    void testGroupOrWorldWritableRuntimeDirIsRefusedNamingTheKey() {
        const std::string runtime = _dir + "/shared";
        fs::create_directory(runtime);
        for (auto perms : {fs::perms::all, fs::perms::owner_all | fs::perms::group_all}) {
            fs::permissions(runtime, perms);
            std::string output;
            int rc = runBinary("plugins", properties({{"plugins.runtime_dir", runtime}}), &output);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 2, rc);
            CPPUNIT_ASSERT_MESSAGE(output, output.find("plugins.runtime_dir") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(output, output.find(runtime) != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(output, output.find("writable") != std::string::npos);
            CPPUNIT_ASSERT(entries(runtime).empty());
        }
        // /tmp itself (root's, world-writable) is refused the same way, in process too.
        CPPUNIT_ASSERT_THROW(PluginRuntimeDir::open("/tmp"), msgbus::core::ConfigError);
    }

    void testRuntimeDirUnderADirectoryOthersCanChangeIsRefused() {
        // Another user could rename the runtime directory away and put their own in its place.
        const std::string open = _dir + "/open";
        fs::create_directory(open);
        fs::permissions(open, fs::perms::all); // 0777, not sticky
        const std::string runtime = open + "/runtime";
        std::string output;
        int rc = runBinary("plugins", properties({{"plugins.runtime_dir", runtime}}), &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 2, rc);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("plugins.runtime_dir") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("other users") != std::string::npos);
    }

    void testSymlinkedRuntimeDirIsUsedByItsResolvedPath() {
        // A link (say another user's, in /tmp) could be repointed after the check; the
        // directory it resolved to cannot.
        const std::string real = _dir + "/real";
        fs::create_directory(real);
        fs::permissions(real, fs::perms::owner_all);
        const std::string link = _dir + "/link";
        fs::create_directory_symlink(real, link);
        auto dir = PluginRuntimeDir::open(link);
        CPPUNIT_ASSERT_EQUAL(fs::canonical(real).string(), dir->path());
    }

    void testPlantedGenerationSymlinkIsNotFollowed() {
        // Was: <runtime_dir>/gen-1 was created with create_directories (following a symlink
        // there) and an existing copy in it was loaded without a look at its content.
        const std::string runtime = _dir + "/runtime";
        const std::string elsewhere = _dir + "/elsewhere";
        fs::create_directory(runtime);
        fs::create_directory(elsewhere);
        fs::create_directory_symlink(elsewhere, runtime + "/gen-1");
        const std::string json = msgbus::test::pluginDir() + "/libmsgbus-json.so";
        // A "copy" of json where the old code would have looked for it, actually another library.
        fs::copy_file(msgbus::test::pluginDir() + "/libmsgbus-test-good.so",
                      elsewhere + "/libmsgbus-json-" + sha256Prefix(json) + ".so");
        const auto before = entries(elsewhere);

        auto props = properties({{"plugins.runtime_dir", runtime}});
        auto config = msgbus::test::configFrom(props);
        auto settings = msgbus::core::Settings::load(*config);
        auto set =
            msgbus::core::PluginLoader(msgbus::core::pluginManifestOf(settings), config).load(1);
        for (const auto& lib : set->libraries) {
            const fs::path copy = lib->loadPath();
            CPPUNIT_ASSERT_EQUAL(fs::path(runtime).string(),
                                 copy.parent_path().parent_path().string());
            CPPUNIT_ASSERT(!fs::is_symlink(copy.parent_path()));
            CPPUNIT_ASSERT(!fs::is_symlink(copy));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("msgbus::plugins::JsonSerializer"),
                             set->libraries.front()->serializerClasses().at(0));
        CPPUNIT_ASSERT(before == entries(elsewhere));
        set.reset();
        // The planted link is not this process's: it stays, and so does what it points to.
        CPPUNIT_ASSERT(fs::is_symlink(runtime + "/gen-1"));
        CPPUNIT_ASSERT(before == entries(elsewhere));
    }

    void testExistingFileOrSymlinkAtTheCopysNameIsNeverUsed() {
        const std::string generation = _dir + "/gen";
        fs::create_directory(generation);
        const std::string source = msgbus::test::pluginDir() + "/libmsgbus-json.so";
        const std::string victim = _dir + "/victim.so";
        std::ofstream(victim) << "not a library";
        const std::string target =
            generation + "/json-libmsgbus-json-" + sha256Prefix(source) + ".so";
        fs::create_symlink(victim, target);
        {
            msgbus::core::PluginGenerationDir dir(generation, nullptr);
            CPPUNIT_ASSERT_THROW(dir.copyIn(source, "json"), msgbus::Error);
        }
        // Neither followed nor replaced; and the half-made copy is gone.
        CPPUNIT_ASSERT(fs::is_symlink(target));
        CPPUNIT_ASSERT_EQUAL(std::uintmax_t(13), fs::file_size(victim));
        CPPUNIT_ASSERT(std::set<std::string>{fs::path(target).filename().string()} ==
                       entries(generation));
    }

    void testDefaultRuntimeDirIsPrivateAndRemovedAfterUse() {
        const std::string tmp = _dir + "/tmp";
        const std::string systemd = _dir + "/run-msgbus";
        fs::create_directory(tmp);
        fs::create_directory(systemd);
        ScopedEnv tmpdir("TMPDIR", tmp.c_str());
        {
            ScopedEnv runtimeDirectory("RUNTIME_DIRECTORY", nullptr);
            auto props = properties({});
            auto config = msgbus::test::configFrom(props);
            auto settings = msgbus::core::Settings::load(*config);
            CPPUNIT_ASSERT(settings.runtimeDir.empty());
            auto set = msgbus::core::PluginLoader(msgbus::core::pluginManifestOf(settings), config)
                           .load(1);
            const fs::path runtime =
                fs::path(set->libraries.front()->loadPath()).parent_path().parent_path();
            CPPUNIT_ASSERT_EQUAL(fs::path(tmp).string(), runtime.parent_path().string());
            CPPUNIT_ASSERT(runtime.filename().string().rfind("msgbus-", 0) == 0);
            CPPUNIT_ASSERT(runtime.filename().string() != "msgbus-" + std::to_string(::getpid()));
            CPPUNIT_ASSERT_EQUAL(mode_t(0700), modeOf(runtime.string()));
            set.reset();
            CPPUNIT_ASSERT(entries(tmp).empty());
        }
        // systemd's RuntimeDirectory= comes first.
        ScopedEnv runtimeDirectory("RUNTIME_DIRECTORY", systemd.c_str());
        auto runtime = PluginRuntimeDir::open("");
        CPPUNIT_ASSERT_EQUAL(fs::path(systemd).string(),
                             fs::path(runtime->path()).parent_path().string());
        CPPUNIT_ASSERT_EQUAL(mode_t(0700), modeOf(runtime->path()));
        runtime.reset();
        CPPUNIT_ASSERT(entries(systemd).empty());
    }

    void testDefaultRuntimeDirOfTheBinaryIsGoneAfterExit() {
        const std::string tmp = _dir + "/tmp";
        fs::create_directory(tmp);
        std::string output;
        int rc =
            runBinary("plugins", properties({}), &output,
                      "env -u RUNTIME_DIRECTORY TMPDIR=" + msgbus::test::shellQuoted(tmp) + " ");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("json: ") != std::string::npos);
        CPPUNIT_ASSERT(entries(tmp).empty());
    }

private:
    /// json and routing from the build, an SQLite file; `plugins` never connects to the broker.
    Properties properties(const Properties& extra) const {
        Properties p{{"db.connector", "SQLite"},
                     {"db.connection", _dir + "/bus.db"},
                     {"amqp.url", "amqp://u:p@127.0.0.1:1/%2f"},
                     {"plugins.dir", msgbus::test::pluginDir()},
                     {"plugin.json.library", "libmsgbus-json.so"},
                     {"plugin.routing.library", "libmsgbus-routing.so"}};
        for (const auto& [key, value] : extra)
            p[key] = value;
        return p;
    }

    int runBinary(const std::string& command, const Properties& props, std::string* output,
                  const std::string& envPrefix = "") const {
        const std::string config =
            msgbus::test::writeProperties(_dir + "/msgbus.properties", props);
        return msgbus::test::runCommand(
            envPrefix + msgbus::test::shellQuoted(msgbus::test::msgbusBinary()) + " " + command +
                " --config " + msgbus::test::shellQuoted(config),
            output);
    }

    std::string _dir;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginRuntimeDirTest);
