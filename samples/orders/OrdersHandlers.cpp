// The consuming side of the orders sample, as a team would ship it: two handlers in one plugin.
//
// OrderPlacedHandler projects each placed order into order_projection and, in the same
// transaction, publishes order.confirmed (consume-transform-produce). ConfirmationHandler
// records each confirmation. Both tables are created by the producer program.
#include <msgbus/Plugin.h>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace orders {

using namespace Poco::Data::Keywords;

class OrderPlacedHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"order.placed"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        Poco::JSON::Parser parser;
        auto order = parser.parse(message.payload()).extract<Poco::JSON::Object::Ptr>();
        std::string orderId = order->getValue<std::string>("orderId");
        double total = order->getValue<double>("total");
        std::string messageId = message.id().toString();
        context.session() << "INSERT INTO order_projection (order_id, total, message_id) "
                             "VALUES (?, ?, ?)",
            use(orderId), use(total), use(messageId), now;

        msgbus::Message confirmed("order.confirmed", R"({"orderId":")" + orderId + R"("})");
        if (auto correlation = message.header("correlation-id"))
            confirmed.setHeader("correlation-id", *correlation);
        confirmed.setPartitionKey(orderId);
        context.publish(std::move(confirmed));
    }
};

class ConfirmationHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"order.confirmed"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        Poco::JSON::Parser parser;
        auto body = parser.parse(message.payload()).extract<Poco::JSON::Object::Ptr>();
        std::string orderId = body->getValue<std::string>("orderId");
        context.session() << "INSERT INTO order_confirmations (order_id) VALUES (?)", use(orderId),
            now;
    }
};

} // namespace orders

MSGBUS_PLUGIN("orders-handlers", "1.0.0")

MSGBUS_HANDLERS(orders::OrderPlacedHandler, orders::ConfirmationHandler)
