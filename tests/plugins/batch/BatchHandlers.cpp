// Fixture: a batch handler and a per-message handler, for the batch handler tests. Each writes
// one row per message into batch_effects (seq ascending in the order written, k, call_id,
// call_size, rerun, attempt): the batch handler all rows of a call in ONE multi-row INSERT,
// with call_size the number of messages of the call; the per-message handler with call_size 0.
//
// EffectsBatchHandler (test.batch), payload {"key":"k","mode":M}:
//   ok        its row
//   poison    throws runtime_error("poison <k>") from any call that holds it, before writing
//   malformed throws MalformedMessage from any call that holds it
//   publish   its row, and publishes test.batch.done {"key":"<k>"} with the message as cause
//   summary   its row, and publishes test.batch.summary {"calls":1} without a cause
//   late      its row and what the others publish, then throws runtime_error("late <k>")
//   slow      its row, after a statement of 2 s (longer than the test's db.io_timeout_ms)
//   collide   its row, and publishes test.batch.done with the id <k> (a UUID): when the outbox
//             already has a row of that id, the call's outbox write fails after it returned
//   oversized its row, and publishes a test.batch.done whose payload is over 1 MiB (refused)
// PlainHandler (test.plain), payload {"key":"k","mode":M}: ok (its row), poison (throws), publish
// (its row, and publishes test.plain.done {"key":"<k>"}) or collide (its row, and publishes
// test.plain.done with the id <k>, as the batch handler's collide).
#include <msgbus/Plugin.h>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <stdexcept>

namespace {

using namespace Poco::Data::Keywords;

struct Order {
    std::string key;
    std::string mode;
};

Order orderOf(const msgbus::Message& message) {
    Poco::JSON::Parser parser;
    auto body = parser.parse(message.payload()).extract<Poco::JSON::Object::Ptr>();
    return {body->getValue<std::string>("key"), body->getValue<std::string>("mode")};
}

/// Numbers the calls of this process, so that rows show which call wrote them.
std::atomic<int> calls{0};

class EffectsBatchHandler : public msgbus::BatchHandler {
public:
    std::vector<std::string> messageNames() const override { return {"test.batch"}; }

    void handleBatch(std::span<const msgbus::Message> messages,
                     msgbus::BatchHandlerContext& context) override {
        std::vector<Order> orders;
        for (const auto& m : messages) {
            orders.push_back(orderOf(m));
            if (orders.back().mode == "poison")
                throw std::runtime_error("poison " + orders.back().key);
            if (orders.back().mode == "malformed")
                throw msgbus::MalformedMessage("payload.mode", "malformed " + orders.back().key);
            if (orders.back().mode == "slow")
                context.session() << "SELECT SLEEP(2)", now;
        }
        const int call = ++calls;
        const int size = static_cast<int>(messages.size());
        const int rerun = context.isRerun() ? 1 : 0;
        const int attempt = context.attempt();
        Poco::Data::Statement insert(context.session());
        insert << "INSERT INTO batch_effects (k, call_id, call_size, rerun, attempt) VALUES ";
        for (std::size_t i = 0; i < orders.size(); ++i)
            insert << (i ? ",(?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?)");
        for (const auto& o : orders)
            insert, bind(o.key), bind(call), bind(size), bind(rerun), bind(attempt);
        insert.execute();
        for (std::size_t i = 0; i < orders.size(); ++i) {
            if (orders[i].mode == "publish")
                context.publish(
                    msgbus::Message("test.batch.done", R"({"key":")" + orders[i].key + R"("})"),
                    messages[i]);
            if (orders[i].mode == "summary")
                context.publish(msgbus::Message("test.batch.summary", R"({"calls":1})"));
            if (orders[i].mode == "collide") {
                msgbus::Message done("test.batch.done", R"({"key":"collide"})");
                done.setId(msgbus::Id::parse(orders[i].key));
                context.publish(std::move(done), messages[i]);
            }
            if (orders[i].mode == "oversized")
                context.publish(
                    msgbus::Message("test.batch.done",
                                    R"({"pad":")" + std::string(1 << 20, 'x') + R"("})"),
                    messages[i]);
        }
        for (const auto& o : orders)
            if (o.mode == "late")
                throw std::runtime_error("late " + o.key);
    }
};

class PlainHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.plain"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        Order o = orderOf(message);
        if (o.mode == "poison")
            throw std::runtime_error("poison " + o.key);
        const int call = ++calls;
        const int rerun = context.isRerun() ? 1 : 0;
        const int attempt = context.attempt();
        context.session() << "INSERT INTO batch_effects (k, call_id, call_size, rerun, attempt) "
                             "VALUES (?, ?, 0, ?, ?)",
            use(o.key), bind(call), bind(rerun), bind(attempt), now;
        if (o.mode == "publish")
            context.publish(msgbus::Message("test.plain.done", R"({"key":")" + o.key + R"("})"));
        if (o.mode == "collide") {
            msgbus::Message done("test.plain.done", R"({"key":"collide"})");
            done.setId(msgbus::Id::parse(o.key));
            context.publish(std::move(done));
        }
    }
};

} // namespace

MSGBUS_PLUGIN("batch", "1.0.0")

MSGBUS_HANDLERS(EffectsBatchHandler, PlainHandler)
