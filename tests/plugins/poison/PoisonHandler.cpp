// Fixture: a handler whose payload says how to misbehave, for "poison between good messages"
// tests. Payload {"key":"k","mode":M}:
//   ok        inserts (k, isRerun) into poison_effects
//   lie       throws runtime_error("Lost connection to payment API"): text that reads like a
//             database outage, from a handler
//   rollback  rolls the inbox transaction back under the host, then writes its effect and
//             returns normally, as a handler that catches a deadlock and carries on would
//   fail      throws on its first attempt, then behaves like ok
//   slow      runs a statement of 3 s (longer than the test's db.io_timeout_ms)
//   slow-rerun  throws on the first run of each attempt; run again (isRerun), it runs the
//             statement of slow
//   pause     waits 0.3 s outside the database, then behaves like ok with the key
//             "<k>@<attempt>" (which attempt ran it)
//   nap       waits 0.5 s outside the database and returns, writing nothing
//   crash     kills its own process (SIGKILL, as the OOM killer would): the host dies with it
//   crash-on-retry  throws on its first attempt, then kills its process like crash
//   publish   publishes test.poison {"key":"<k>-next","mode":"ok"} through context.publish()
//   reload    on its first attempt sends its own process SIGHUP, gives the reload 2 s to make a
//             new plugin generation live, then throws an exception of a type this library
//             defines; later attempts behave like ok
#include <msgbus/Plugin.h>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

#include <unistd.h>

namespace {

using namespace Poco::Data::Keywords;

/// Its vtable, what() and destructor live in this library: using the object after the library
/// is unloaded would crash the host.
class PoisonReloadError : public std::runtime_error {
public:
    explicit PoisonReloadError(const std::string& key)
        : std::runtime_error("poison: " + key + " threw across a reload"), _key(key) {}
    ~PoisonReloadError() override { _key.clear(); }

private:
    std::string _key;
};

class PoisonHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.poison"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        Poco::JSON::Parser parser;
        auto body = parser.parse(message.payload()).extract<Poco::JSON::Object::Ptr>();
        std::string key = body->getValue<std::string>("key");
        std::string mode = body->getValue<std::string>("mode");
        if (mode == "lie")
            throw std::runtime_error("Lost connection to payment API (server has gone away)");
        if (mode == "fail" && context.attempt() == 1)
            throw std::runtime_error("poison: " + key + " fails its first attempt");
        if (mode == "rollback")
            context.session() << "ROLLBACK", now;
        if (mode == "reload" && context.attempt() == 1) {
            ::kill(::getpid(), SIGHUP);
            std::this_thread::sleep_for(std::chrono::seconds(2));
            throw PoisonReloadError(key);
        }
        if (mode == "publish")
            context.publish(
                msgbus::Message("test.poison", R"({"key":")" + key + R"(-next","mode":"ok"})"));
        if (mode == "crash-on-retry" && context.attempt() == 1)
            throw std::runtime_error("poison: " + key + " fails its first attempt");
        if (mode == "crash" || mode == "crash-on-retry")
            ::kill(::getpid(), SIGKILL);
        if (mode == "slow-rerun" && !context.isRerun())
            throw std::runtime_error("poison: " + key + " fails its first run");
        if (mode == "slow" || mode == "slow-rerun")
            context.session() << "SELECT SLEEP(3)", now;
        if (mode == "nap") {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            return;
        }
        if (mode == "pause") {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            key += "@" + std::to_string(context.attempt());
        }
        int rerun = context.isRerun() ? 1 : 0;
        context.session() << "INSERT INTO poison_effects (k, rerun) VALUES (?, ?)", use(key),
            use(rerun), now;
    }
};

} // namespace

MSGBUS_PLUGIN("poison", "1.0.0")

MSGBUS_HANDLERS(PoisonHandler)
