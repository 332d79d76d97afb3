// Progress: a count on stderr, rewritten in place, only when stderr is a terminal. The tests
// put a pseudo-terminal (or /dev/null) on file descriptor 2 while the Progress is made, and read
// what it writes through std::cerr.
#include "core/cli/Progress.h"

#include <cppunit/extensions/HelperMacros.h>

#include <fcntl.h>
#include <iostream>
#include <sstream>
#include <stdlib.h>
#include <thread>
#include <unistd.h>

using msgbus::core::cli::Progress;

namespace {

// Descriptor 2 is `replacement` for the lifetime of the object; std::cerr writes to a string.
class StderrSwap {
public:
    explicit StderrSwap(int replacement) : _saved(dup(STDERR_FILENO)) {
        dup2(replacement, STDERR_FILENO);
        _oldBuffer = std::cerr.rdbuf(_captured.rdbuf());
    }
    ~StderrSwap() {
        std::cerr.rdbuf(_oldBuffer);
        dup2(_saved, STDERR_FILENO);
        close(_saved);
    }
    std::string text() const { return _captured.str(); }
    void clear() { _captured.str(""); }

private:
    int _saved;
    std::ostringstream _captured;
    std::streambuf* _oldBuffer = nullptr;
};

// A pseudo-terminal's secondary side: isatty() is true for it.
class PseudoTerminal {
public:
    PseudoTerminal() {
        _primary = posix_openpt(O_RDWR | O_NOCTTY);
        CPPUNIT_ASSERT(_primary >= 0);
        CPPUNIT_ASSERT_EQUAL(0, grantpt(_primary));
        CPPUNIT_ASSERT_EQUAL(0, unlockpt(_primary));
        _secondary = open(ptsname(_primary), O_RDWR | O_NOCTTY);
        CPPUNIT_ASSERT(_secondary >= 0);
    }
    ~PseudoTerminal() {
        close(_secondary);
        close(_primary);
    }
    int fd() const { return _secondary; }

private:
    int _primary = -1;
    int _secondary = -1;
};

const std::string clearLine = "\r\033[K";

} // namespace

class ProgressTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ProgressTest);
    CPPUNIT_TEST(testWritesNothingWhenStderrIsNotATerminal);
    CPPUNIT_TEST(testDrawsLabelCountAndTotalOnATerminal);
    CPPUNIT_TEST(testUnknownTotalShowsTheCountAlone);
    CPPUNIT_TEST(testRedrawsAtMostEveryFifthOfASecond);
    CPPUNIT_TEST(testDestructorClearsOnlyALineItDrew);
    CPPUNIT_TEST_SUITE_END();

public:
    void testWritesNothingWhenStderrIsNotATerminal() {
        const int devNull = open("/dev/null", O_WRONLY);
        {
            StderrSwap swap(devNull);
            {
                Progress progress("failed:retry", 100);
                progress.advance(10);
                progress.advance(90);
            }
            CPPUNIT_ASSERT_EQUAL(std::string(), swap.text());
        }
        close(devNull);
    }

    void testDrawsLabelCountAndTotalOnATerminal() {
        PseudoTerminal terminal;
        StderrSwap swap(terminal.fd());
        Progress progress("failed:retry", 12000);
        progress.advance(1500);
        CPPUNIT_ASSERT_EQUAL(clearLine + "failed:retry: 1500/12000", swap.text());
    }

    void testUnknownTotalShowsTheCountAlone() {
        PseudoTerminal terminal;
        StderrSwap swap(terminal.fd());
        Progress progress("cleanup:dedup", 0);
        progress.advance(42);
        CPPUNIT_ASSERT_EQUAL(clearLine + "cleanup:dedup: 42", swap.text());
    }

    void testRedrawsAtMostEveryFifthOfASecond() {
        PseudoTerminal terminal;
        StderrSwap swap(terminal.fd());
        Progress progress("outbox:replay", 10);
        progress.advance(1);
        swap.clear();
        progress.advance(2); // too soon: counted, not drawn
        CPPUNIT_ASSERT_EQUAL(std::string(), swap.text());
        std::this_thread::sleep_for(std::chrono::milliseconds(210));
        progress.advance(3);
        CPPUNIT_ASSERT_EQUAL(clearLine + "outbox:replay: 6/10", swap.text());
    }

    void testDestructorClearsOnlyALineItDrew() {
        PseudoTerminal terminal;
        StderrSwap swap(terminal.fd());
        { Progress unused("nothing", 5); }
        CPPUNIT_ASSERT_EQUAL(std::string(), swap.text());
        {
            Progress progress("something", 5);
            progress.advance(5);
            swap.clear();
        }
        CPPUNIT_ASSERT_EQUAL(clearLine, swap.text());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ProgressTest);
