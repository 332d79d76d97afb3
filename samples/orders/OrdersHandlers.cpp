// The consuming side of the orders sample, as a team would ship it: two handlers in one plugin.
//
// OrderPlacedHandler is a batch handler: it projects the placed orders of a batch into
// order_projection with one multi-row INSERT and, in the same transaction, publishes an
// order.confirmed for each (consume-transform-produce). ConfirmationHandler records each
// confirmation, one message at a time. Both tables are created by the producer program.
#include <msgbus/Plugin.h>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>

namespace orders {

using namespace Poco::Data::Keywords;

class OrderPlacedHandler : public msgbus::BatchHandler {
public:
    std::vector<std::string> messageNames() const override { return {"order.placed"}; }

    void handleBatch(std::span<const msgbus::Message> messages,
                     msgbus::BatchHandlerContext& context) override {
        struct Row {
            std::string orderId;
            double total;
            std::string messageId;
        };
        std::vector<Row> rows;
        rows.reserve(messages.size());
        Poco::JSON::Parser parser;
        for (const auto& message : messages) {
            // A bad order throws here: the host then runs each message of the call alone, so
            // that only that one is retried.
            auto order = parser.parse(message.payload()).extract<Poco::JSON::Object::Ptr>();
            rows.push_back({order->getValue<std::string>("orderId"),
                            order->getValue<double>("total"), message.id().toString()});
            parser.reset();
        }
        // Bounded statements: the databases limit the placeholders of one statement.
        constexpr std::size_t rowsPerStatement = 1000;
        for (std::size_t first = 0; first < rows.size(); first += rowsPerStatement) {
            const std::size_t end = std::min(rows.size(), first + rowsPerStatement);
            Poco::Data::Statement insert(context.session());
            insert << "INSERT INTO order_projection (order_id, total, message_id) VALUES ";
            for (std::size_t i = first; i < end; ++i)
                insert << (i > first ? ", (?, ?, ?)" : "(?, ?, ?)");
            for (std::size_t i = first; i < end; ++i)
                insert, use(rows[i].orderId), use(rows[i].total), use(rows[i].messageId);
            insert.execute();
        }
        for (std::size_t i = 0; i < rows.size(); ++i) {
            msgbus::Message confirmed("order.confirmed",
                                      R"({"orderId":")" + rows[i].orderId + R"("})");
            confirmed.setPartitionKey(rows[i].orderId);
            // The cause's correlation id and trace go on to the confirmation.
            context.publish(std::move(confirmed), messages[i]);
        }
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
