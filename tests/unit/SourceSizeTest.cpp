// The size limits of the host's sources, checked on the sources themselves: no file in core/ over
// 400 lines and no function over 60. Past those sizes a file or a function holds more than one
// job; the limits make the split happen when the second job arrives instead of at a clean-up.
#include "support/SourceTree.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int kMaxFileLines = 400;
constexpr int kMaxFunctionLines = 60;

std::string textOf(const fs::path& file) {
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// text with comments, string and character literals blanked out (newlines kept, so line
/// numbers stay right): braces inside them must not count.
std::string codeOnly(const std::string& text) {
    std::string code = text;
    auto blank = [&code](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to && i < code.size(); ++i)
            if (code[i] != '\n')
                code[i] = ' ';
    };
    std::size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, 2, "//") == 0) {
            const auto end = text.find('\n', i);
            blank(i, end == std::string::npos ? text.size() : end);
            i = end == std::string::npos ? text.size() : end;
        } else if (text.compare(i, 2, "/*") == 0) {
            const auto end = text.find("*/", i + 2);
            const auto stop = end == std::string::npos ? text.size() : end + 2;
            blank(i, stop);
            i = stop;
        } else if (text.compare(i, 2, "R\"") == 0) {
            const auto open = text.find('(', i);
            const std::string close = ")" + text.substr(i + 2, open - i - 2) + "\"";
            const auto end = text.find(close, open);
            const auto stop = end == std::string::npos ? text.size() : end + close.size();
            blank(i, stop);
            i = stop;
        } else if (text[i] == '"' || text[i] == '\'') {
            const char quote = text[i];
            std::size_t j = i + 1;
            while (j < text.size() && text[j] != quote && text[j] != '\n')
                j += text[j] == '\\' ? 2 : 1;
            blank(i, j + 1);
            i = j + 1;
        } else {
            ++i;
        }
    }
    return code;
}

/// What a '{' opens, judged by the code between it and the previous ';', '{' or '}'.
enum class Block { Scope, Function, Other };

Block blockOf(const std::string& head) {
    static const std::regex scope(R"(\b(namespace|class|struct|enum|union|extern)\b)");
    static const std::regex function(
        R"(\)\s*(const|noexcept|override|final|mutable|\s|->\s*[\w:<>,\s]+)*$)");
    static const std::regex initializer(R"(=\s*$)");
    if (std::regex_search(head, initializer))
        return Block::Other;
    if (std::regex_search(head, scope) && head.find('(') == std::string::npos)
        return Block::Scope;
    return std::regex_search(head, function) ? Block::Function : Block::Other;
}

struct LongFunction {
    int line;
    int lines;
};

/// The functions of file longer than maxLines, by the line of their opening brace. A function is
/// a brace block opened directly in a namespace or class body after a parameter list; lambdas
/// and control statements inside it count towards it.
std::vector<LongFunction> longFunctions(const std::string& code, int maxLines) {
    std::vector<LongFunction> found;
    struct Open {
        Block block;
        int line;
    };
    std::vector<Open> stack;
    std::size_t headStart = 0;
    int line = 1;
    for (std::size_t i = 0; i < code.size(); ++i) {
        const char c = code[i];
        if (c == '\n')
            ++line;
        if (c == '{') {
            const bool inScope = std::all_of(stack.begin(), stack.end(),
                                             [](const Open& o) { return o.block == Block::Scope; });
            const Block block =
                inScope ? blockOf(code.substr(headStart, i - headStart)) : Block::Other;
            stack.push_back({block, line});
        } else if (c == '}' && !stack.empty()) {
            const Open open = stack.back();
            stack.pop_back();
            if (open.block == Block::Function && line - open.line + 1 > maxLines)
                found.push_back({open.line, line - open.line + 1});
        }
        if (c == ';' || c == '{' || c == '}')
            headStart = i + 1;
    }
    return found;
}

std::vector<fs::path> coreSources() {
    return msgbus::test::cppSourcesUnder(msgbus::test::sourceRoot() / "core");
}

} // namespace

class SourceSizeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SourceSizeTest);
    CPPUNIT_TEST(testTheFunctionFinderMeasuresFunctionsOnly);
    CPPUNIT_TEST(testNoCoreFileIsOver400Lines);
    CPPUNIT_TEST(testNoCoreFunctionIsOver60Lines);
    CPPUNIT_TEST_SUITE_END();

public:
    // The finder itself: a long function is found, long braces in literals, initialisers,
    // classes and namespaces are not, and a lambda counts towards its function.
    void testTheFunctionFinderMeasuresFunctionsOnly() {
        std::string body;
        for (int i = 0; i < 5; ++i)
            body += "    call();\n";
        const std::string code = "namespace n {\n"
                                 "struct S {\n"
                                 "    int f() const {\n" +
                                 body +
                                 "    }\n"
                                 "};\n"
                                 "const int table[] = {\n1,\n2,\n3,\n4,\n5,\n6,\n};\n"
                                 "void g() {\n"
                                 "    auto l = [] {\n" +
                                 body +
                                 "    };\n"
                                 "    const char* t = \"}}}{{{\"; // }\n"
                                 "}\n"
                                 "}\n";
        const auto found = longFunctions(codeOnly(code), 5);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), found.size());
        CPPUNIT_ASSERT_EQUAL(3, found[0].line);
        CPPUNIT_ASSERT_EQUAL(7, found[0].lines);
        CPPUNIT_ASSERT_EQUAL(19, found[1].line);
        CPPUNIT_ASSERT_EQUAL(10, found[1].lines);
    }

    void testNoCoreFileIsOver400Lines() {
        std::vector<std::string> large;
        for (const auto& file : coreSources()) {
            const std::string text = textOf(file);
            const auto lines = std::count(text.begin(), text.end(), '\n');
            if (lines > kMaxFileLines)
                large.push_back(msgbus::test::inTree(file) + ": " + std::to_string(lines) +
                                " lines");
        }
        CPPUNIT_ASSERT_MESSAGE("core files over 400 lines:" + msgbus::test::listed(large),
                               large.empty());
    }

    void testNoCoreFunctionIsOver60Lines() {
        std::vector<std::string> large;
        for (const auto& file : coreSources())
            for (const auto& f : longFunctions(codeOnly(textOf(file)), kMaxFunctionLines))
                large.push_back(msgbus::test::inTree(file) + ":" + std::to_string(f.line) + ": " +
                                std::to_string(f.lines) + " lines");
        CPPUNIT_ASSERT_MESSAGE("core functions over 60 lines:" + msgbus::test::listed(large),
                               large.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SourceSizeTest);
