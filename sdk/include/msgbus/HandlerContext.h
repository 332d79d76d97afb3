#pragma once

#include "msgbus/Export.h"

#include "msgbus/Message.h"

#include <string>

namespace Poco {
class Logger;
namespace Data {
class Session;
}
} // namespace Poco

namespace msgbus {

/// What a handler gets besides the message. Valid only during handle(). What its functions
/// throw may be caught by the handler; left uncaught it is what handle() throws (see
/// Handler::handle(): transient unless it is a MalformedMessage).
class MSGBUS_API HandlerContext {
public:
    virtual ~HandlerContext();

    /// The open database session of the inbox transaction. Everything written through it commits
    /// together with the deduplication record, or not at all. Do not commit or roll back. A
    /// statement that fails throws Poco's exception: let it propagate. After a deadlock or a lost
    /// connection the server has already rolled back the whole transaction, dedup records
    /// included: a handler that swallows such an error cannot save its work, and the host runs
    /// the messages again.
    virtual Poco::Data::Session& session() = 0;

    /// Writes message to the outbox in the same transaction (consume-transform-produce). The id is
    /// minted here unless the message has one. An invalid message (its name; a payload that is
    /// not a JSON object or is over outbox.max_body_bytes; its headers or partition key) throws
    /// InvalidArgument, which left uncaught is a transient failure of the handling, retried like
    /// any other. The host writes the messages a call published together, with multi-row
    /// INSERTs, after handle() returns and before its work is kept: a database error of that
    /// write fails the handling as if handle() had thrown it.
    virtual void publish(Message message) = 0;

    /// A logger for this handler ("msgbus.plugin.<id>").
    virtual Poco::Logger& logger() = 0;

    /// 1 on the first delivery, 2 on the first retry, and so on.
    virtual int attempt() const = 0;

    /// The consumer (inbox.consumers entry) running the handler.
    virtual const std::string& consumerName() const = 0;

    /// True when handle() already ran for this message in this attempt and that run's database
    /// work was rolled back, because another message of the same batch failed (the batch is then
    /// run again with one savepoint per message). Database effects happen once, but what the
    /// handler did outside the transaction (an HTTP call, an e-mail) has happened already: a
    /// handler with such effects checks this, or makes them idempotent. attempt() is unchanged.
    virtual bool isRerun() const { return false; }
};

} // namespace msgbus
