// A handler plugin built against the installed SDK (find_package(msgbus)), only through the
// public surface: <msgbus/Plugin.h> and msgbus_add_plugin().
#include <msgbus/Plugin.h>

namespace {

class OutOfTreeHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.outoftree"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        context.publish(msgbus::Message("test.outoftree.seen", message.payload()));
    }
};

} // namespace

MSGBUS_PLUGIN("outoftree", "1.0.0")

MSGBUS_HANDLERS(OutOfTreeHandler)
