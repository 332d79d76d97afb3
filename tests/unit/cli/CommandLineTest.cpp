// The command line: flags a command declares, values, switches, positionals, and errors that
// name the flag.
#include "core/cli/CommandLine.h"
#include "support/ThrownText.h"

#include <cppunit/extensions/HelperMacros.h>

#include <functional>

using namespace msgbus::core;

class CommandLineTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CommandLineTest);
    CPPUNIT_TEST(testPositionalsKeepTheirOrder);
    CPPUNIT_TEST(testValueFlagTakesTheNextArgumentOrAnInlineValue);
    CPPUNIT_TEST(testRepeatedFlagKeepsEveryValue);
    CPPUNIT_TEST(testSwitchTakesNoValue);
    CPPUNIT_TEST(testUnknownFlagIsNamed);
    CPPUNIT_TEST(testValueFlagAtTheEndNeedsAValue);
    CPPUNIT_TEST(testDoubleDashAndSingleDashAreArguments);
    CPPUNIT_TEST(testIntegerParsesOrNamesTheFlag);
    CPPUNIT_TEST(testAValueMayLookLikeAFlag);
    CPPUNIT_TEST_SUITE_END();

    static std::string usageOf(const std::function<void()>& call) {
        return msgbus::test::thrownText<UsageError>(call);
    }

public:
    void testPositionalsKeepTheirOrder() {
        CommandLine line({"b", "--json", "a", "c"}, {}, {"json"});
        CPPUNIT_ASSERT((line.positional() == std::vector<std::string>{"b", "a", "c"}));
        CPPUNIT_ASSERT(line.has("json"));
    }

    void testValueFlagTakesTheNextArgumentOrAnInlineValue() {
        CommandLine line({"--config", "a.properties", "--limit=5"}, {"config", "limit"}, {});
        CPPUNIT_ASSERT_EQUAL(std::string("a.properties"), *line.value("config"));
        CPPUNIT_ASSERT_EQUAL(std::string("5"), *line.value("limit"));
        CPPUNIT_ASSERT(!line.value("name"));
        CPPUNIT_ASSERT(!line.has("name"));
    }

    void testRepeatedFlagKeepsEveryValue() {
        CommandLine line({"--name", "a", "--name=b", "--name", "c"}, {"name"}, {});
        CPPUNIT_ASSERT((line.values("name") == std::vector<std::string>{"a", "b", "c"}));
        CPPUNIT_ASSERT(line.values("other").empty());
    }

    void testSwitchTakesNoValue() {
        const auto message = usageOf([] { CommandLine({"--json=yes"}, {}, {"json"}); });
        CPPUNIT_ASSERT_EQUAL(std::string("--json takes no value"), message);
    }

    void testUnknownFlagIsNamed() {
        const auto message = usageOf([] { CommandLine({"--colour", "red"}, {"config"}, {}); });
        CPPUNIT_ASSERT_EQUAL(std::string("unknown option --colour"), message);
    }

    void testValueFlagAtTheEndNeedsAValue() {
        const auto message = usageOf([] { CommandLine({"x", "--since"}, {"since"}, {}); });
        CPPUNIT_ASSERT_EQUAL(std::string("--since needs a value"), message);
    }

    void testDoubleDashAndSingleDashAreArguments() {
        CommandLine line({"--", "-v", "-"}, {}, {});
        CPPUNIT_ASSERT((line.positional() == std::vector<std::string>{"--", "-v", "-"}));
    }

    void testIntegerParsesOrNamesTheFlag() {
        CommandLine line({"--limit", "42", "--bad", "4x", "--neg", "-1"}, {"limit", "bad", "neg"},
                         {});
        CPPUNIT_ASSERT_EQUAL(42LL, line.integer("limit", 7));
        CPPUNIT_ASSERT_EQUAL(7LL, line.integer("absent", 7));
        CPPUNIT_ASSERT_EQUAL(std::string("--bad: '4x' is not a non-negative integer"),
                             usageOf([&] { line.integer("bad", 0); }));
        CPPUNIT_ASSERT_EQUAL(std::string("--neg: '-1' is not a non-negative integer"),
                             usageOf([&] { line.integer("neg", 0); }));
    }

    void testAValueMayLookLikeAFlag() {
        // A value flag takes the next argument whatever it looks like (a header "--x=y").
        CommandLine line({"--header", "--x=y"}, {"header"}, {});
        CPPUNIT_ASSERT_EQUAL(std::string("--x=y"), *line.value("header"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CommandLineTest);
