#pragma once

#include "msgbus/Export.h"

#include "msgbus/Configurable.h"
#include "msgbus/Message.h"
#include "msgbus/WireMessage.h"

namespace msgbus {

/// Turns a Message into its AMQP form and back.
///
/// encode() is called by the outbox relay, decode() by the inbox consumers, from several threads
/// at once: both must be safe to call concurrently (keep them const and stateless after
/// configure()). The two sides treat a throw differently: see each function.
class MSGBUS_API Serializer : public Configurable {
public:
    ~Serializer() override;

    /// The outbox row's message (id, name, payload, headers, partition key, created-at) as an
    /// AMQP message. The relay then sets properties.messageId to the message's id, whatever
    /// encode() put there, and adds the route's headers (RoutingStrategy). What it throws fails
    /// only this row; the other rows of the batch go out:
    /// - MalformedMessage: the message can never be encoded. The row moves to the failed table
    ///   at once with the exception's text, without another attempt.
    /// - anything else: the row stays in the outbox and is tried again after a backoff; once
    ///   outbox.max_attempts attempts have failed it moves to the failed table with the text.
    virtual WireMessage encode(const Message& message) const = 0;

    /// The delivery as a Message, which must have an id and a valid name. What it throws:
    /// - MalformedMessage or InvalidArgument (a bad id or name, from Id or MessageName): the
    ///   delivery can never be understood. It moves to the failed table at once (error class
    ///   MalformedMessage), without a retry; a Message returned without an id, or with an
    ///   invalid name, is treated the same way.
    /// - anything else: a transient failure (error class DecodeError, e.g. a schema registry
    ///   that is away). The delivery is decoded again after a backoff (retry.*) and moves to
    ///   the failed table when retry.max_retries retries have failed too.
    virtual Message decode(const WireMessage& wire) const = 0;
};

} // namespace msgbus
