// Fixture: handle() calls msgbus_test_missing_fn, which nothing defines. Lazy binding would load
// this library and crash at the first message; the host binds immediately and refuses it.
#include <msgbus/Plugin.h>

extern "C" void msgbus_test_missing_fn();

namespace {

class MissingSymbolHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.missing"}; }
    void handle(const msgbus::Message&, msgbus::HandlerContext&) override {
        msgbus_test_missing_fn();
    }
};

} // namespace

MSGBUS_PLUGIN("missingsymbol", "1.0.0")

MSGBUS_HANDLERS(MissingSymbolHandler)
