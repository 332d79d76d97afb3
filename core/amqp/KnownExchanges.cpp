#include "core/amqp/KnownExchanges.h"

#include "core/amqp/AmqpError.h"

#include <amqp_framing.h>

namespace msgbus::core::amqp {

std::map<std::string, std::string>
KnownExchanges::check(AmqpConnection& connection, const std::set<std::string>& names,
                      const std::function<void()>& reopenChannel) {
    std::map<std::string, std::string> refused;
    for (const std::string& name : names) {
        amqp_exchange_declare(connection.state(), connection.channel(), amqpBytes(name),
                              amqp_empty_bytes, /*passive*/ 1, /*durable*/ 0, /*auto_delete*/ 0,
                              /*internal*/ 0, amqp_empty_table);
        try {
            connection.checkRpcReply("exchange.declare (passive) '" + name + "'");
            _known.insert(name);
        } catch (const AmqpError& e) {
            if (e.connectionLost())
                throw;
            // The broker closed the channel (close-ok already sent). The exchange's messages
            // fail alone; the other exchanges and the rest of the batch go on.
            refused.emplace(name, e.what());
            reopenChannel();
        }
    }
    return refused;
}

} // namespace msgbus::core::amqp
