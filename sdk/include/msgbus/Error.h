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
/// JSON object). Thrown where the value enters, so the caller sees it at once. From
/// Serializer::decode() the host takes it for a MalformedMessage (permanent); from
/// Handler::handle() it is transient, like every exception but MalformedMessage.
class MSGBUS_API InvalidArgument : public Error {
public:
    using Error::Error;
    ~InvalidArgument() override;
};

/// Message::id() was asked of a message that has none yet: ids are minted when a message is
/// written to the outbox, and every message a handler or Serializer::encode() receives has one. A
/// bug of the caller (check hasId() first), not bad data; from a handler it is a transient failure
/// like any exception other than MalformedMessage.
class MSGBUS_API MissingId : public Error {
public:
    using Error::Error;
    ~MissingId() override;
};

/// A message cannot be understood: malformed JSON, a missing or bad id, an invalid name, an
/// oversized body. Thrown from Serializer::decode(), Handler::handle(), Serializer::encode() or
/// RoutingStrategy::route() it is permanent: the host writes the message to the failed table
/// with this reason and never retries it, where any other exception from them is transient.
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
