#include "support/ServiceOutage.h"

#include "support/TestEnv.h"

#include <cppunit/TestAssert.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>

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
}

FrozenService::~FrozenService() {
    ::kill(_pid, SIGCONT);
}

} // namespace msgbus::test
