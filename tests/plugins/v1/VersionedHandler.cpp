// Fixture for the reload test: built twice, as libmsgbus-test-v1.so and libmsgbus-test-v2.so,
// with the same class name. handle() publishes test.version.seen carrying the version it was
// built as, so the test sees which image's code actually ran.
#include <msgbus/Plugin.h>
#include <msgbus/internal/Json.h>

#ifndef MSGBUS_TEST_PLUGIN_VERSION
#error "build with MSGBUS_TEST_PLUGIN_VERSION defined"
#endif

namespace {

class VersionedHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.version"}; }

    void handle(const msgbus::Message&, msgbus::HandlerContext& context) override {
        context.publish(msgbus::Message(
            "test.version.seen",
            "{\"version\":" + msgbus::json::quote(MSGBUS_TEST_PLUGIN_VERSION) + "}"));
    }
};

} // namespace

MSGBUS_PLUGIN("versioned", MSGBUS_TEST_PLUGIN_VERSION)

MSGBUS_HANDLERS(VersionedHandler)
