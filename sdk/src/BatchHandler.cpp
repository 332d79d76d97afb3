#include "msgbus/BatchHandler.h"

namespace msgbus {
namespace {

/// A HandlerContext seen as the context of a call with one message: the message is every
/// publish()'s cause, which the wrapped context already continues.
class OneMessageContext : public BatchHandlerContext {
public:
    explicit OneMessageContext(HandlerContext& context) : _context(context) {}

    Poco::Data::Session& session() override { return _context.session(); }
    void publish(Message message) override { _context.publish(std::move(message)); }
    void publish(Message message, const Message& cause) override {
        (void)cause;
        _context.publish(std::move(message));
    }
    Poco::Logger& logger() override { return _context.logger(); }
    int attempt() const override { return _context.attempt(); }
    const std::string& consumerName() const override { return _context.consumerName(); }
    bool isRerun() const override { return _context.isRerun(); }

private:
    HandlerContext& _context;
};

} // namespace

// Out of line: anchors the vtables and type info in libmsgbus-sdk.so (see Interfaces.cpp).
BatchHandlerContext::~BatchHandlerContext() = default;
BatchHandler::~BatchHandler() = default;

void BatchHandler::handle(const Message& message, HandlerContext& context) {
    OneMessageContext one(context);
    handleBatch(std::span<const Message>(&message, 1), one);
}

} // namespace msgbus
