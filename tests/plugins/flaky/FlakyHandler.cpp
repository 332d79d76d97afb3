// Fixture: a handler that fails until a given attempt, then records its effect.
// Payload {"key":"k","failUntil":N}: attempts 1..N throw, attempt N+1 inserts key into
// flaky_effects (a PRIMARY KEY, so a second effect would fail loudly). With "kill":true every
// attempt kills its own MariaDB connection instead (a statement lost under the handler); with
// "rollbackOnce":true its first run in this process rolls the caller's transaction back and
// carries on, as a handler that catches a deadlock does (the server rolled back everything).
// LockOrderHandler: payload {"key":"k","rows":[2,1],"pauseMs":N} updates those rows of
// lock_rows in that order, pausing N ms after each, then records key in flaky_effects: two
// batches that take the rows in opposite orders deadlock.
#include <msgbus/Plugin.h>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace {

using namespace Poco::Data::Keywords;

/// True the first time key is asked about in this process.
bool firstTime(const std::string& key) {
    static std::mutex mutex;
    static std::set<std::string> seen;
    std::lock_guard<std::mutex> lock(mutex);
    return seen.insert(key).second;
}

class FlakyHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.flaky"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        Poco::JSON::Parser parser;
        auto body = parser.parse(message.payload()).extract<Poco::JSON::Object::Ptr>();
        std::string key = body->getValue<std::string>("key");
        int failUntil = body->getValue<int>("failUntil");
        if (body->has("kill") && body->getValue<bool>("kill")) {
            Poco::Int64 self = 0;
            context.session() << "SELECT CONNECTION_ID()", into(self), now;
            context.session() << "KILL " + std::to_string(self), now;
        }
        if (context.attempt() <= failUntil)
            throw std::runtime_error("flaky: attempt " + std::to_string(context.attempt()) +
                                     " of " + key + " fails on purpose");
        if (body->has("rollbackOnce") && firstTime(key))
            context.session() << "ROLLBACK", now;
        int attempt = context.attempt();
        context.session() << "INSERT INTO flaky_effects (k, attempt) VALUES (?, ?)", use(key),
            use(attempt), now;
    }
};

class LockOrderHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.lockorder"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        Poco::JSON::Parser parser;
        auto body = parser.parse(message.payload()).extract<Poco::JSON::Object::Ptr>();
        const auto rows = body->getArray("rows");
        const auto pause = std::chrono::milliseconds(body->getValue<int>("pauseMs"));
        for (std::size_t i = 0; i < rows->size(); ++i) {
            int row = rows->getElement<int>(static_cast<unsigned>(i));
            context.session() << "UPDATE lock_rows SET n = n + 1 WHERE id = ?", use(row), now;
            std::this_thread::sleep_for(pause);
        }
        std::string key = body->getValue<std::string>("key");
        int attempt = context.attempt();
        context.session() << "INSERT INTO flaky_effects (k, attempt) VALUES (?, ?)", use(key),
            use(attempt), now;
    }
};

} // namespace

MSGBUS_PLUGIN("flaky", "1.0.0")

MSGBUS_HANDLERS(FlakyHandler, LockOrderHandler)
