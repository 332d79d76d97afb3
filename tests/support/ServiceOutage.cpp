#include "support/ServiceOutage.h"

#include "support/TestEnv.h"

#include <cppunit/TestAssert.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

namespace msgbus::test {

ServiceOutage::ServiceOutage(std::string service) : _service(std::move(service)) {
    const char* script = std::getenv("MSGBUS_SERVICES_SCRIPT");
    if (!script || !*script)
        CPPUNIT_FAIL("MSGBUS_SERVICES_SCRIPT is not set: run the tests with `./run test`, or "
                     "`eval \"$(tests/support/services.sh env)\"`");
    _script = script;
}

ServiceOutage::~ServiceOutage() {
    if (!_stopped)
        return;
    std::string output;
    if (runCommand(_script + " " + _service + "-start", &output) != 0)
        std::cerr << "e2e: could not start " << _service << " again:\n" << output << "\n";
}

void ServiceOutage::stop() {
    _stopped = true; // before the command: a half-done stop is undone too
    std::string output;
    const int rc = runCommand(_script + " " + _service + "-stop", &output);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(_service + "-stop: " + output, 0, rc);
}

void ServiceOutage::start() {
    std::string output;
    const int rc = runCommand(_script + " " + _service + "-start", &output);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(_service + "-start: " + output, 0, rc);
    _stopped = false;
}

FrozenService::FrozenService(const std::string& recordedPid) {
    const char* dir = std::getenv("MSGBUS_SERVICES_DIR");
    if (!dir || !*dir)
        CPPUNIT_FAIL("MSGBUS_SERVICES_DIR is not set: run the tests with `./run test`");
    std::ifstream in(std::string(dir) + "/pids/" + recordedPid + ".pid");
    in >> _pid;
    CPPUNIT_ASSERT_MESSAGE("no recorded " + recordedPid + " pid under " + std::string(dir),
                           _pid > 0);
    CPPUNIT_ASSERT_EQUAL(0, ::kill(_pid, SIGSTOP));
    awaitEveryThreadStopped();
}

namespace {

/// True when every thread of the process is in the stopped state ('T'); false while one runs.
bool everyThreadStopped(int pid) {
    namespace fs = std::filesystem;
    std::error_code error;
    for (const auto& task :
         fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
        std::ifstream in(task.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto end = stat.rfind(") ");
        if (end != std::string::npos && end + 2 < stat.size() && stat[end + 2] != 'T' &&
            stat[end + 2] != 't')
            return false;
    }
    return !error;
}

} // namespace

// kill() only queues SIGSTOP: one thread must be scheduled to start the group stop, and on a
// busy machine a connection thread can still read and answer a query in between. A test that
// sends its statement right after the freeze needs the server stopped for real.
void FrozenService::awaitEveryThreadStopped() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!everyThreadStopped(_pid)) {
        if (std::chrono::steady_clock::now() > deadline)
            CPPUNIT_FAIL("pid " + std::to_string(_pid) +
                         " was sent SIGSTOP but still runs 10 s later");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

FrozenService::~FrozenService() {
    ::kill(_pid, SIGCONT);
}

} // namespace msgbus::test
