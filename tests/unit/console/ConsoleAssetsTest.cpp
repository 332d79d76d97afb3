// The console's pages as compiled into the binary: every file of core/console/assets byte for
// byte, with its content type, found only by its exact path, and nothing that would make a
// browser fetch from the network.
#include "core/console/ConsoleAssets.h"
#include "core/console/StaticFiles.h"

#include "support/SourceTree.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using msgbus::core::console::Asset;
using msgbus::core::console::findAsset;

namespace {

fs::path assetDir() {
    return msgbus::test::sourceRoot() / "core" / "console" / "assets";
}

std::string fileText(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string textOf(const Asset& asset) {
    return std::string(reinterpret_cast<const char*>(asset.data), asset.size);
}

/// The served path of a file of the asset directory.
std::string servedPath(const fs::path& file) {
    const auto rel = fs::relative(file, assetDir()).generic_string();
    return rel == "index.html" ? "/index.html" : "/assets/" + rel;
}

std::vector<fs::path> assetFiles() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(assetDir()))
        if (entry.is_regular_file() && entry.path().filename().string()[0] != '.')
            files.push_back(entry.path());
    return files;
}

} // namespace

class ConsoleAssetsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsoleAssetsTest);
    CPPUNIT_TEST(testIndexIsServedAsIndexHtml);
    CPPUNIT_TEST(testEveryFileOfTheAssetDirectoryIsEmbeddedByteForByte);
    CPPUNIT_TEST(testScriptsAndStylesCarryTheirContentTypes);
    CPPUNIT_TEST(testOnlyExactPathsFindAnAsset);
    CPPUNIT_TEST(testPagesReferenceOnlyEmbeddedFiles);
    CPPUNIT_TEST(testNoAssetFetchesFromTheNetwork);
    CPPUNIT_TEST_SUITE_END();

public:
    void testIndexIsServedAsIndexHtml() {
        const Asset* index = findAsset("/index.html");
        CPPUNIT_ASSERT(index);
        CPPUNIT_ASSERT_EQUAL(std::string("text/html; charset=utf-8"),
                             std::string(index->contentType));
        CPPUNIT_ASSERT(textOf(*index).starts_with("<!doctype html>"));
        CPPUNIT_ASSERT(!findAsset("/assets/index.html"));
        // What the server answers for "/" is that page (a build once served a stand-in).
        const auto root = msgbus::core::console::staticFile("/");
        CPPUNIT_ASSERT(root && root->body == textOf(*index));
    }

    void testEveryFileOfTheAssetDirectoryIsEmbeddedByteForByte() {
        const auto files = assetFiles();
        CPPUNIT_ASSERT(files.size() >= 3);
        for (const auto& file : files) {
            const Asset* asset = findAsset(servedPath(file));
            CPPUNIT_ASSERT_MESSAGE("not embedded: " + servedPath(file), asset);
            CPPUNIT_ASSERT_MESSAGE("differs: " + servedPath(file),
                                   textOf(*asset) == fileText(file));
        }
    }

    void testScriptsAndStylesCarryTheirContentTypes() {
        CPPUNIT_ASSERT_EQUAL(std::string("text/javascript; charset=utf-8"),
                             std::string(findAsset("/assets/app.js")->contentType));
        CPPUNIT_ASSERT_EQUAL(std::string("text/css; charset=utf-8"),
                             std::string(findAsset("/assets/app.css")->contentType));
        CPPUNIT_ASSERT_EQUAL(std::string("image/svg+xml"),
                             std::string(findAsset("/assets/favicon.svg")->contentType));
    }

    void testOnlyExactPathsFindAnAsset() {
        for (const char* path : {"", "/", "/assets/", "/app.js", "/assets/../index.html",
                                 "/assets/./app.js", "/assets/app.js?v=1", "/ASSETS/app.js",
                                 "/assets/app.js/", "//assets/app.js", "/assets/missing.js"})
            CPPUNIT_ASSERT_MESSAGE(std::string("found: ") + path, !findAsset(path));
    }

    void testPagesReferenceOnlyEmbeddedFiles() {
        // index.html names assets/<file>; the scripts import './<file>.js'. A typo would leave
        // a page blank in the browser, so every reference must resolve to an embedded file.
        const std::regex htmlRef(R"re((?:href|src)="(assets/[^"]+)")re");
        const std::regex jsImport(R"re(from '\./([^']+)')re");
        std::vector<std::string> missing;
        int references = 0;
        for (const auto& file : assetFiles()) {
            const auto text = fileText(file);
            const auto ext = file.extension();
            const std::regex& pattern = ext == ".html" ? htmlRef : jsImport;
            if (ext != ".html" && ext != ".js")
                continue;
            for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) {
                ++references;
                const auto path =
                    ext == ".html" ? "/" + (*it)[1].str() : "/assets/" + (*it)[1].str();
                if (!findAsset(path))
                    missing.push_back(servedPath(file) + " -> " + path);
            }
        }
        CPPUNIT_ASSERT(references >= 5);
        CPPUNIT_ASSERT_MESSAGE("references to files not embedded:" + msgbus::test::listed(missing),
                               missing.empty());
    }

    void testNoAssetFetchesFromTheNetwork() {
        // The console must work without network access (no CDN): the only absolute URL an
        // asset may hold is the SVG namespace, which names and never fetches.
        const std::regex url(R"((https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,})");
        std::vector<std::string> found;
        for (const auto& file : assetFiles()) {
            const auto text = fileText(file);
            for (std::sregex_iterator it(text.begin(), text.end(), url), end; it != end; ++it)
                if (it->str() != "http://www.w3.org")
                    found.push_back(servedPath(file) + ": " + it->str());
        }
        CPPUNIT_ASSERT_MESSAGE(
            "absolute URLs in the console's assets:" + msgbus::test::listed(found), found.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleAssetsTest);
