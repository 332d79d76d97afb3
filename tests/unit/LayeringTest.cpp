// The layering of the source tree, checked on the sources themselves: a directory of core/
// includes only directories below it, the SDK includes nothing of the host, and the built-in
// plugins use only the SDK, as a plugin built outside this tree must. Each rule keeps one kind of
// change local: a fix in the inbox cannot break the relay, a host refactoring cannot break the
// plugins. A new directory must be given its layer here before anything may include it. (The
// size limits of the sources are SourceSizeTest's.)
#include "support/SourceTree.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using msgbus::test::listed;
using msgbus::test::sourceRoot;

/// The layer of each directory of core/: a file may include its own directory and directories
/// of a lower layer, never one of its own layer or above (so inbox and outbox stay apart).
const std::map<std::string, int>& coreLayers() {
    static const std::map<std::string, int> layers{
        {"util", 0},   {"tracing", 1}, {"db", 1},      {"amqp", 1},  {"metrics", 2},
        {"failed", 2}, {"config", 2},  {"plugins", 3}, {"inbox", 4}, {"outbox", 4},
        {"host", 5},   {"console", 6}, {"cli", 7},
    };
    return layers;
}

struct Include {
    fs::path file;
    int line;
    std::string target;
};

std::vector<Include> includesUnder(const fs::path& dir) {
    static const std::regex quoted(R"(^\s*#\s*include\s*"([^"]+)\")");
    std::vector<Include> found;
    for (const auto& file : msgbus::test::cppSourcesUnder(dir)) {
        std::ifstream in(file);
        std::string text;
        for (int line = 1; std::getline(in, text); ++line) {
            std::smatch m;
            if (std::regex_search(text, m, quoted))
                found.push_back({file, line, m[1].str()});
        }
    }
    return found;
}

std::string where(const Include& inc) {
    return msgbus::test::inTree(inc.file) + ":" + std::to_string(inc.line) + " includes \"" +
           inc.target + "\"";
}

/// "core/inbox/X.h" -> "inbox"; empty for anything else.
std::string coreDirOf(const std::string& target) {
    static const std::regex coreInclude(R"(^core/([a-z]+)/)");
    std::smatch m;
    return std::regex_search(target, m, coreInclude) ? m[1].str() : std::string();
}

} // namespace

class LayeringTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LayeringTest);
    CPPUNIT_TEST(testEveryCoreDirectoryHasALayer);
    CPPUNIT_TEST(testCoreIncludesOnlyLowerLayers);
    CPPUNIT_TEST(testSdkIncludesNothingOfTheHostOrThePlugins);
    CPPUNIT_TEST(testBuiltInPluginsUseOnlyTheSdk);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryCoreDirectoryHasALayer() {
        std::vector<std::string> missing;
        for (const auto& entry : fs::directory_iterator(sourceRoot() / "core"))
            if (entry.is_directory() && !coreLayers().count(entry.path().filename().string()))
                missing.push_back(entry.path().filename().string());
        CPPUNIT_ASSERT_MESSAGE(
            "core directories without a layer in LayeringTest:" + listed(missing), missing.empty());
    }

    void testCoreIncludesOnlyLowerLayers() {
        std::vector<std::string> upward;
        for (const auto& inc : includesUnder(sourceRoot() / "core")) {
            const auto target = coreDirOf(inc.target);
            const auto from = fs::relative(inc.file, sourceRoot() / "core").begin()->string();
            if (target.empty() || target == from || !coreLayers().count(from))
                continue;
            const auto to = coreLayers().find(target);
            if (to == coreLayers().end() || to->second >= coreLayers().at(from))
                upward.push_back(where(inc));
        }
        CPPUNIT_ASSERT_MESSAGE("includes of a layer that is not below:" + listed(upward),
                               upward.empty());
    }

    void testSdkIncludesNothingOfTheHostOrThePlugins() {
        std::vector<std::string> wrong;
        for (const auto& inc : includesUnder(sourceRoot() / "sdk"))
            if (inc.target.starts_with("core/") || inc.target.starts_with("plugins/"))
                wrong.push_back(where(inc));
        CPPUNIT_ASSERT_MESSAGE("the SDK includes host or plugin code:" + listed(wrong),
                               wrong.empty());
    }

    void testBuiltInPluginsUseOnlyTheSdk() {
        std::vector<std::string> wrong;
        for (const auto& inc : includesUnder(sourceRoot() / "plugins"))
            if (inc.target.starts_with("core/"))
                wrong.push_back(where(inc));
        CPPUNIT_ASSERT_MESSAGE("built-in plugins include host code:" + listed(wrong),
                               wrong.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LayeringTest);
