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
/// configure()). A malformed input throws MalformedMessage (permanent: failed table); any other
/// exception counts as transient and is retried.
class MSGBUS_API Serializer : public Configurable {
public:
    ~Serializer() override;
    virtual WireMessage encode(const Message& message) const = 0;
    virtual Message decode(const WireMessage& wire) const = 0;
};

} // namespace msgbus
