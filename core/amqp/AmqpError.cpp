#include "core/amqp/AmqpError.h"

namespace msgbus::core::amqp {

AmqpError::AmqpError(const std::string& message, bool connectionLost, std::uint16_t replyCode,
                     int libraryStatus)
    : msgbus::Error(message), _connectionLost(connectionLost), _replyCode(replyCode),
      _libraryStatus(libraryStatus) {}

// Out of line so the vtable has one home (the SDK does the same for its errors).
AmqpError::~AmqpError() = default;

} // namespace msgbus::core::amqp
