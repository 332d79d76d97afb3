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

POCO_BEGIN_NAMED_MANIFEST(Handlers, msgbus::Handler)
POCO_EXPORT_CLASS(DuplicateHandler)
POCO_END_MANIFEST
