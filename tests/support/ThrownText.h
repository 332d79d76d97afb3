#pragma once

// For tests of error messages: header-only, no service.

#include <cppunit/extensions/HelperMacros.h>

#include <functional>
#include <string>

namespace msgbus::test {

/// The text of the Error that call throws; fails the test when it throws nothing.
template <class Error> std::string thrownText(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.what();
    }
    CPPUNIT_FAIL("nothing was thrown");
    return "";
}

} // namespace msgbus::test
