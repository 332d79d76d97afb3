#pragma once

#include <msgbus/Error.h>

namespace msgbus::core {

/// The inbox transaction itself is gone (rolled back by the server under us, as after a
/// deadlock a handler caught and swallowed): nothing of the batch can be committed. It happens
/// under some handler, so running the messages alone finds which one; run alone, it is that
/// message's failure (FailureClassifier::ofAloneRun).
class TransactionLost : public Error {
public:
    using Error::Error;
};

} // namespace msgbus::core
