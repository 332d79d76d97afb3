#pragma once

#include "msgbus/Export.h"

#include <stdexcept>
#include <string>

namespace msgbus {

/// Root of every exception msgbus throws. The message always carries its context (which key,
/// which plugin, which message id, which table), so a log line alone tells what went wrong.
class MSGBUS_API Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    ~Error() override;
};

/// A value handed to msgbus is invalid (a bad id, a bad message name, a payload that is not a
/// JSON object). Thrown where the value enters, so the caller sees it at once.
class MSGBUS_API InvalidArgument : public Error {
public:
    using Error::Error;
    ~InvalidArgument() override;
};

/// A message from the wire cannot be understood: malformed JSON, a missing or bad id, an
/// unknown or invalid name, an oversized body. It is permanent: the host writes it to the failed
/// table with this reason and never retries it. Serializers throw it from decode()/encode();
/// any other exception a plugin throws is treated as transient.
class MSGBUS_API MalformedMessage : public Error {
public:
    /// field names what was wrong ("header x-message-id", "body"); reason says how.
    MalformedMessage(const std::string& field, const std::string& reason)
        : Error(field + ": " + reason), _field(field) {}
    ~MalformedMessage() override;

    const std::string& field() const noexcept { return _field; }

private:
    std::string _field;
};

} // namespace msgbus
