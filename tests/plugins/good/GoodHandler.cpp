// Fixture: a well-behaved handler plugin. configure() keeps plugin.good.config.greeting; handle()
// publishes it, with what the handler could see of the configuration, as a test.greeted message
// the test reads from the fake context.
#include <msgbus/Plugin.h>
#include <msgbus/internal/Json.h>

#include <Poco/Util/AbstractConfiguration.h>

// An unnamed namespace keeps the class name unqualified, which is what a manifest entry
// (plugin.good.classes) names: MSGBUS_HANDLERS registers a class under its name as written.
namespace {

class GoodHandler : public msgbus::Handler {
public:
    void configure(const Poco::Util::AbstractConfiguration& config) override {
        _greeting = config.getString("greeting", "");
        // A plugin's view must not reach the host's own keys (db.connection holds credentials).
        _seesHostKeys = config.has("db.connector") || config.has("plugin.good.library");
    }

    std::vector<std::string> messageNames() const override { return {"test.good"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        msgbus::Message greeted("test.greeted",
                                "{\"greeting\":" + msgbus::json::quote(_greeting) +
                                    ",\"seesHostKeys\":" + (_seesHostKeys ? "true" : "false") +
                                    ",\"to\":" + msgbus::json::quote(message.id().toString()) +
                                    ",\"consumer\":" + msgbus::json::quote(context.consumerName()) +
                                    ",\"attempt\":" + std::to_string(context.attempt()) + "}");
        context.publish(std::move(greeted));
    }

private:
    std::string _greeting;
    bool _seesHostKeys = false;
};

} // namespace

MSGBUS_PLUGIN("good", "1.0.0")

MSGBUS_HANDLERS(GoodHandler)
