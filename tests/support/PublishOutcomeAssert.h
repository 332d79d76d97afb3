#pragma once

// For tests of the publisher and its confirm bookkeeping: header-only, no service.

#include "core/amqp/PublishOutcome.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace msgbus::test {

inline std::string nameOf(core::amqp::PublishResult result) {
    using core::amqp::PublishResult;
    switch (result) {
    case PublishResult::Confirmed:
        return "Confirmed";
    case PublishResult::Unroutable:
        return "Unroutable";
    case PublishResult::Nacked:
        return "Nacked";
    case PublishResult::NotConfirmed:
        return "NotConfirmed";
    }
    return "?";
}

/// Fails naming the outcome's token and error when its result is not expected.
inline void assertResult(core::amqp::PublishResult expected,
                         const core::amqp::PublishOutcome& outcome) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE("token " + std::to_string(outcome.token) + ": " + outcome.error,
                                 nameOf(expected), nameOf(outcome.result));
}

} // namespace msgbus::test
