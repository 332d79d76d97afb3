// Fixture: handlers that fail while the plugin set is built. A test selects one of them with
// plugin.<id>.classes and expects a start-up error that names the plugin and the class.
#include <msgbus/Plugin.h>

#include <Poco/Util/AbstractConfiguration.h>

#include <stdexcept>

namespace {

class ThrowingConstructorHandler : public msgbus::Handler {
public:
    ThrowingConstructorHandler() {
        throw std::runtime_error("ThrowingConstructorHandler cannot be constructed");
    }
    std::vector<std::string> messageNames() const override { return {"test.throwing"}; }
    void handle(const msgbus::Message&, msgbus::HandlerContext&) override {}
};

class ThrowingConfigureHandler : public msgbus::Handler {
public:
    void configure(const Poco::Util::AbstractConfiguration& config) override {
        // What a plugin does with a missing or bad key: throw, naming it.
        if (!config.has("required_key"))
            throw msgbus::InvalidArgument("required_key: missing; expected any value");
    }
    std::vector<std::string> messageNames() const override { return {"test.throwing"}; }
    void handle(const msgbus::Message&, msgbus::HandlerContext&) override {}
};

// Throws something that is not a std::exception, as C++ allows.
class ThrowingNamesHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { throw 42; }
    void handle(const msgbus::Message&, msgbus::HandlerContext&) override {}
};

} // namespace

MSGBUS_PLUGIN("throwing", "1.0.0")

MSGBUS_HANDLERS(ThrowingConstructorHandler, ThrowingConfigureHandler, ThrowingNamesHandler)
