// Out-of-line destructors: they anchor the vtables and type info of the plugin-facing bases in
// libmsgbus-sdk.so, so host and plugins share one copy (exceptions and dynamic_cast match).
#include "msgbus/Error.h"
#include "msgbus/Handler.h"
#include "msgbus/HandlerContext.h"
#include "msgbus/RoutingStrategy.h"
#include "msgbus/Serializer.h"

namespace msgbus {

Error::~Error() = default;
InvalidArgument::~InvalidArgument() = default;
MissingId::~MissingId() = default;
MalformedMessage::~MalformedMessage() = default;
Configurable::~Configurable() = default;
Serializer::~Serializer() = default;
RoutingStrategy::~RoutingStrategy() = default;
Handler::~Handler() = default;
HandlerContext::~HandlerContext() = default;

} // namespace msgbus
