// Fixture: a second handler for test.good, the name the good fixture's GoodHandler takes. Both
// in one consumer is a start-up error; inbox.consumer.<c>.plugins can narrow it to one.
#include <msgbus/Plugin.h>

namespace {

class DuplicateHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.good"}; }
    void handle(const msgbus::Message&, msgbus::HandlerContext&) override {}
};

} // namespace

MSGBUS_PLUGIN("duplicatename", "1.0.0")

// Written on purpose with Poco's own manifest macros, as plugins were before MSGBUS_HANDLERS
// existed: PluginLoaderTest loads this library and binds DuplicateHandler, which proves such
// plugins still load. Keep it this way.
POCO_BEGIN_NAMED_MANIFEST(Handlers, msgbus::Handler)
POCO_EXPORT_CLASS(DuplicateHandler)
POCO_END_MANIFEST
