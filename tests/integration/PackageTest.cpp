// The Debian package `./run package` builds: `cpack -G DEB` run in the build directory, the
// result unpacked with `dpkg -x` into a scratch root. It must hold the host, the SDK, the
// built-in plugins and the system files, declare its conffile and dependencies, and the host
// must run from the unpacked tree as it would from /usr: no LD_LIBRARY_PATH, its plugins found
// where the package put them without a plugins.dir, and a plugin built with find_package(msgbus)
// against the packaged SDK loading into it.
#include "support/TestEnv.h"

#include <msgbus/PluginAbi.h>

#include <Poco/String.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// The package, built once for the suite's tests and unpacked; removed at exit.
struct Unpacked {
    std::string dir;  ///< scratch directory holding everything below
    std::string deb;  ///< the .deb file cpack made
    std::string root; ///< dpkg -x of it
    std::string listing;
    std::string version; ///< the control file's Version

    Unpacked() {
        dir = msgbus::test::tempDir("package");
        const std::string out = dir + "/out";
        const auto started = std::chrono::steady_clock::now();
        // -B: the package and cpack's staging tree go to the scratch directory, not the build.
        msgbus::test::runChecked("cd " + msgbus::test::shellQuoted(msgbus::test::buildDir()) +
                                 " && cpack -G DEB -B " + msgbus::test::shellQuoted(out));
        std::cout << " [cpack: "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                             .count() /
                         1000.0
                  << " s]" << std::flush;
        for (const auto& entry : fs::directory_iterator(out))
            if (entry.path().extension() == ".deb") {
                CPPUNIT_ASSERT_MESSAGE("more than one .deb in " + out, deb.empty());
                deb = entry.path().string();
            }
        CPPUNIT_ASSERT_MESSAGE("cpack made no .deb in " + out, !deb.empty());
        root = dir + "/root";
        msgbus::test::runChecked("dpkg -x " + msgbus::test::shellQuoted(deb) + " " +
                                 msgbus::test::shellQuoted(root));
        listing = msgbus::test::runChecked("dpkg-deb -c " + msgbus::test::shellQuoted(deb));
        version = Poco::trim(
            msgbus::test::runChecked("dpkg-deb -f " + msgbus::test::shellQuoted(deb) + " Version"));
    }

    ~Unpacked() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
    }

    /// The one file named name below root/under (the libdir may be lib or lib/<multiarch>).
    std::string find(const std::string& under, const std::string& name) const {
        std::string found;
        for (const auto& entry : fs::recursive_directory_iterator(root + "/" + under))
            if (entry.path().filename() == name) {
                CPPUNIT_ASSERT_MESSAGE("two files " + name + " in the package", found.empty());
                found = entry.path().string();
            }
        CPPUNIT_ASSERT_MESSAGE("no " + name + " under /" + under + " in the package:\n" + listing,
                               !found.empty());
        return found;
    }

    static const Unpacked& get() {
        static Unpacked unpacked;
        return unpacked;
    }
};

} // namespace

class PackageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PackageTest);
    CPPUNIT_TEST(testPackageHoldsHostSdkPluginsAndSystemFiles);
    CPPUNIT_TEST(testPackagedSdkHeadersAreTheContractOnly);
    CPPUNIT_TEST(testControlDataDeclaresConffileDependenciesAndScripts);
    CPPUNIT_TEST(testPackagedHostRunsFromTheUnpackedTree);
    CPPUNIT_TEST(testOutOfTreePluginBuildsAgainstThePackagedSdk);
    CPPUNIT_TEST(testSystemdUnitVerifies);
    CPPUNIT_TEST_SUITE_END();

public:
    void testPackageHoldsHostSdkPluginsAndSystemFiles() {
        const auto& p = Unpacked::get();
        for (const char* file :
             {"usr/bin/msgbus", "usr/include/msgbus/Plugin.h", "usr/include/msgbus/PluginAbi.h",
              "etc/msgbus/msgbus.properties", "lib/systemd/system/msgbus.service",
              "usr/share/msgbus/schema/mysql.sql", "usr/share/msgbus/schema/sqlite.sql"})
            CPPUNIT_ASSERT_MESSAGE(std::string("/") + file + " is not in the package:\n" +
                                       p.listing,
                                   fs::is_regular_file(p.root + "/" + file));
        CPPUNIT_ASSERT_EQUAL(readFile(msgbus::test::sourceDir() + "/config/msgbus.properties"),
                             readFile(p.root + "/etc/msgbus/msgbus.properties"));

        // The SDK library with its soname links, next to its CMake package.
        const std::string sdk = p.find("usr", "libmsgbus-sdk.so." + p.version);
        const fs::path libdir = fs::path(sdk).parent_path();
        CPPUNIT_ASSERT(fs::is_symlink(libdir / "libmsgbus-sdk.so"));
        bool soname = false;
        for (const auto& entry : fs::directory_iterator(libdir)) {
            const std::string name = entry.path().filename().string();
            if (name.rfind("libmsgbus-sdk.so.", 0) == 0 && name != fs::path(sdk).filename())
                soname = soname || fs::is_symlink(entry.path());
        }
        CPPUNIT_ASSERT_MESSAGE("no soname link libmsgbus-sdk.so.<major>:\n" + p.listing, soname);
        for (const char* file : {"msgbusConfig.cmake", "msgbusConfigVersion.cmake",
                                 "msgbusTargets.cmake", "MsgbusPlugin.cmake"})
            CPPUNIT_ASSERT(fs::is_regular_file(libdir / "cmake/msgbus" / file));

        // Both plugins in <libdir>/msgbus/plugins, where the host looks by default.
        const std::string json = p.find("usr", "libmsgbus-json.so");
        CPPUNIT_ASSERT_EQUAL((libdir / "msgbus/plugins").string(),
                             fs::path(json).parent_path().string());
        CPPUNIT_ASSERT_EQUAL((libdir / "msgbus/plugins/libmsgbus-routing.so").string(),
                             p.find("usr", "libmsgbus-routing.so"));

        // No test fixture plugin or sample came along.
        for (const char* stray : {"libmsgbus-test", "orders", "bench"})
            CPPUNIT_ASSERT_MESSAGE(p.listing, !contains(p.listing, stray));
    }

    void testPackagedSdkHeadersAreTheContractOnly() {
        // Interfaces, value types, the ABI block, the OutboxWriter and the testing fake: what a
        // plugin or producer is written against. The host's own helpers (the outbox headers
        // codec, SQL identifier checks, printable error text) stay out, and no packaged header
        // may need them.
        const std::set<std::string> contract{
            "BatchHandler.h",   "Doorbell.h",     "OutboxTransaction.h",
            "Configurable.h",   "Error.h",        "Export.h",
            "FieldKind.h",      "FieldValue.h",   "Handler.h",
            "HandlerContext.h", "Id.h",           "Message.h",
            "MessageName.h",    "OutboxWriter.h", "Plugin.h",
            "PluginAbi.h",      "Route.h",        "RoutingStrategy.h",
            "Serializer.h",     "WireMessage.h",  "testing/FakeHandlerContext.h"};
        const auto& p = Unpacked::get();
        const fs::path include = fs::path(p.root) / "usr/include/msgbus";
        std::set<std::string> packaged;
        for (const auto& entry : fs::recursive_directory_iterator(include)) {
            if (!entry.is_regular_file())
                continue;
            const std::string name = fs::relative(entry.path(), include).string();
            packaged.insert(name);
            CPPUNIT_ASSERT_MESSAGE(name + " includes a header the package does not ship",
                                   !contains(readFile(entry.path().string()), "msgbus/internal/"));
        }
        std::string listed;
        for (const auto& name : packaged)
            listed += " " + name;
        CPPUNIT_ASSERT_MESSAGE("packaged headers:" + listed, packaged == contract);
    }

    void testControlDataDeclaresConffileDependenciesAndScripts() {
        const auto& p = Unpacked::get();
        CPPUNIT_ASSERT_EQUAL(std::string("msgbus"),
                             Poco::trim(msgbus::test::runChecked(
                                 "dpkg-deb -f " + msgbus::test::shellQuoted(p.deb) + " Package")));
        const std::string depends = msgbus::test::runChecked(
            "dpkg-deb -f " + msgbus::test::shellQuoted(p.deb) + " Depends");
        for (const char* library : {"libpocofoundation", "libpocodatamysql", "librabbitmq4"})
            CPPUNIT_ASSERT_MESSAGE("Depends: " + depends, contains(depends, library));
        CPPUNIT_ASSERT_MESSAGE("Depends: " + depends, !contains(depends, "msgbus"));

        const std::string control = p.dir + "/control";
        msgbus::test::runChecked("dpkg-deb -e " + msgbus::test::shellQuoted(p.deb) + " " +
                                 msgbus::test::shellQuoted(control));
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/msgbus/msgbus.properties\n"),
                             readFile(control + "/conffiles"));
        for (const char* script : {"postinst", "prerm", "postrm"}) {
            const std::string path = control + "/" + script;
            CPPUNIT_ASSERT_MESSAGE(path, fs::is_regular_file(path));
            msgbus::test::runChecked("sh -n " + msgbus::test::shellQuoted(path));
        }
    }

    void testPackagedHostRunsFromTheUnpackedTree() {
        const auto& p = Unpacked::get();
        const std::string binary = p.root + "/usr/bin/msgbus";

        // Its RPATH finds the packaged SDK library, not another one of the machine.
        const std::string libraries = msgbus::test::runChecked(
            msgbus::test::withoutLibraryPath("ldd " + msgbus::test::shellQuoted(binary)));
        const auto line = libraries.find("libmsgbus-sdk.so.");
        CPPUNIT_ASSERT_MESSAGE(libraries, line != std::string::npos);
        const auto from = libraries.find("=> ", line);
        const auto to = libraries.find(" (", from);
        CPPUNIT_ASSERT_MESSAGE(libraries, from != std::string::npos && to != std::string::npos);
        const std::string loaded = libraries.substr(from + 3, to - from - 3);
        CPPUNIT_ASSERT_MESSAGE(libraries, fs::exists(loaded));
        CPPUNIT_ASSERT_EQUAL(fs::canonical(p.find("usr", "libmsgbus-sdk.so." + p.version)),
                             fs::canonical(loaded));

        const std::string version = msgbus::test::runChecked(
            msgbus::test::withoutLibraryPath(msgbus::test::shellQuoted(binary) + " --version"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(version, "msgbus " + p.version,
                                     version.substr(0, version.find('\n')));
        CPPUNIT_ASSERT_MESSAGE(
            version,
            contains(version, "\nplugin SDK ABI " + std::to_string(MSGBUS_SDK_ABI) + "\n"));
        CPPUNIT_ASSERT_MESSAGE(version, contains(version, "\nPoco 1."));
        CPPUNIT_ASSERT_MESSAGE(version, contains(version, "\nrabbitmq-c 0."));
        CPPUNIT_ASSERT_EQUAL(version, msgbus::test::runChecked(msgbus::test::withoutLibraryPath(
                                          msgbus::test::shellQuoted(binary) + " version")));

        // No plugins.dir: the host finds the plugins the package installed next to it.
        const std::string config = msgbus::test::writeProperties(
            p.dir + "/msgbus.properties",
            {{"db.connector", "SQLite"},
             {"db.connection", p.dir + "/bus.db"},
             {"amqp.url", "amqp://u:p@127.0.0.1:1/%2f"}, // `plugins` never connects
             {"plugins.runtime_dir", p.dir + "/runtime"},
             {"plugin.json.library", "libmsgbus-json.so"},
             {"plugin.routing.library", "libmsgbus-routing.so"}});
        const std::string plugins = msgbus::test::runChecked(msgbus::test::withoutLibraryPath(
            msgbus::test::shellQuoted(binary) + " plugins --config " +
            msgbus::test::shellQuoted(config)));
        const std::string pluginsDir =
            fs::canonical(fs::path(p.find("usr", "libmsgbus-json.so")).parent_path());
        CPPUNIT_ASSERT_MESSAGE(plugins, contains(plugins, "json: " + pluginsDir));
        CPPUNIT_ASSERT_MESSAGE(plugins, contains(plugins, "routing: " + pluginsDir));
    }

    void testOutOfTreePluginBuildsAgainstThePackagedSdk() {
        const auto& p = Unpacked::get();
        const std::string build = p.dir + "/oot";
        msgbus::test::runChecked(
            "cmake -S " +
            msgbus::test::shellQuoted(msgbus::test::sourceDir() + "/tests/plugins/outoftree") +
            " -B " + msgbus::test::shellQuoted(build) +
            " -DCMAKE_PREFIX_PATH=" + msgbus::test::shellQuoted(p.root + "/usr"));
        msgbus::test::runChecked("cmake --build " + msgbus::test::shellQuoted(build));
        const std::string config = msgbus::test::writeProperties(
            p.dir + "/oot.properties", {{"db.connector", "SQLite"},
                                        {"db.connection", p.dir + "/oot.db"},
                                        {"amqp.url", "amqp://u:p@127.0.0.1:1/%2f"},
                                        {"plugins.dir", build},
                                        {"plugins.runtime_dir", p.dir + "/runtime"},
                                        {"plugin.oot.library", "liboutoftree.so"}});
        const std::string plugins = msgbus::test::runChecked(msgbus::test::withoutLibraryPath(
            msgbus::test::shellQuoted(p.root + "/usr/bin/msgbus") + " plugins --config " +
            msgbus::test::shellQuoted(config)));
        CPPUNIT_ASSERT_MESSAGE(plugins,
                               contains(plugins, "handler OutOfTreeHandler: test.outoftree"));
    }

    void testSystemdUnitVerifies() {
        const auto& p = Unpacked::get();
        const std::string unit = readFile(p.root + "/lib/systemd/system/msgbus.service");
        for (const char* line :
             {"\nType=simple\n",
              "\nExecStart=/usr/bin/msgbus run --config /etc/msgbus/msgbus.properties\n",
              "\nExecReload=/bin/kill -HUP $MAINPID\n", "\nKillSignal=SIGTERM\n",
              "\nRestart=on-failure\n", "\nDynamicUser=yes\n",
              "\nEnvironmentFile=-/etc/default/msgbus\n"})
            CPPUNIT_ASSERT_MESSAGE(std::string("the unit lacks ") + line + ":\n" + unit,
                                   contains(unit, line));

        if (msgbus::test::runCommand("command -v systemd-analyze") != 0) {
            std::cout << " [systemd-analyze is not installed: unit not verified]" << std::flush;
            return;
        }
        // systemd-analyze verify checks that ExecStart's executable exists: verify a copy that
        // starts the unpacked one, the unit otherwise as packaged.
        std::string copy = unit;
        const std::string installed = "ExecStart=/usr/bin/msgbus ";
        copy.replace(copy.find(installed), installed.size(),
                     "ExecStart=" + p.root + "/usr/bin/msgbus ");
        const std::string path = p.dir + "/msgbus.service";
        std::ofstream(path) << copy;
        std::string output;
        int rc = msgbus::test::runCommand(
            "systemd-analyze verify " + msgbus::test::shellQuoted(path), &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        CPPUNIT_ASSERT_MESSAGE(output, !contains(output, "msgbus.service"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PackageTest);
