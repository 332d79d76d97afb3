#pragma once

#include "msgbus/Export.h"

#include "msgbus/Configurable.h"
#include "msgbus/HandlerContext.h"
#include "msgbus/Message.h"

#include <string>
#include <vector>

namespace msgbus {

/// Business logic for consumed messages. A consumer runs every handler whose messageNames()
/// contains the message's name, inside the inbox transaction (see HandlerContext).
///
/// handle() may be called from several consumer threads at once. Throwing rolls back the
/// message's work; the message is then retried later (retry.*) and, after the last retry, moved
/// to the failed table, whatever the exception says. Throwing msgbus::MalformedMessage moves it
/// to the failed table at once (no retry). handle() can run twice for one attempt when another
/// message of its batch fails (see HandlerContext::isRerun()).
class MSGBUS_API Handler : public Configurable {
public:
    ~Handler() override;
    virtual std::vector<std::string> messageNames() const = 0;
    virtual void handle(const Message& message, HandlerContext& context) = 0;
};

} // namespace msgbus
