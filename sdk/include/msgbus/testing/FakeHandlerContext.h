#pragma once

#include "msgbus/BatchHandler.h"
#include "msgbus/HandlerContext.h"
#include "msgbus/Id.h"
#include "msgbus/Message.h"
#include "msgbus/OutboxWriter.h"

#include <Poco/Data/Session.h>
#include <Poco/Logger.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace msgbus::testing {

/// A HandlerContext for unit tests of handlers: no host, broker, inbox or outbox table. It is
/// a BatchHandlerContext too, so the same context serves a BatchHandler's handleBatch().
///
/// Header-only; link msgbus::sdk. publish() validates the message as the host's outbox does
/// (name, payload a JSON object, size), mints its id when it has none, and records it instead
/// of writing it: published() shows what the handler produced, causes() which message each
/// named as its cause. attempt(), isRerun() and consumerName() are settable, so retry-dependent
/// behaviour can be tested. The host adds trace and correlation headers to what is published;
/// this context does not.
///
/// session() is either a session the test passes (the test owns it and its transaction, exactly
/// as the host owns the inbox transaction), or, with the default constructor, a private in-memory
/// SQLite database opened on first use; the test must then have registered the SQLite connector
/// (Poco::Data::SQLite::Connector::registerConnector(), link Poco::DataSQLite).
///
/// Not thread-safe: one context per handle() call, as in the host.
class FakeHandlerContext : public BatchHandlerContext {
public:
    FakeHandlerContext() = default;

    /// Uses session for session(); it must outlive this context.
    explicit FakeHandlerContext(Poco::Data::Session& session) : _session(&session) {}

    // session() may point into this object.
    FakeHandlerContext(const FakeHandlerContext&) = delete;
    FakeHandlerContext& operator=(const FakeHandlerContext&) = delete;

    Poco::Data::Session& session() override {
        if (!_session) {
            _ownSession.emplace("SQLite", ":memory:");
            _session = &*_ownSession;
        }
        return *_session;
    }

    void publish(Message message) override { record(std::move(message), std::nullopt); }

    /// Records message with cause's id. Unlike the host, it does not check that cause is one
    /// of the messages of the call.
    void publish(Message message, const Message& cause) override {
        record(std::move(message), cause.id());
    }

    Poco::Logger& logger() override { return Poco::Logger::get(_loggerName); }

    int attempt() const override { return _attempt; }
    void setAttempt(int attempt) { _attempt = attempt; }

    const std::string& consumerName() const override { return _consumerName; }
    void setConsumerName(std::string name) { _consumerName = std::move(name); }

    bool isRerun() const override { return _rerun; }
    void setRerun(bool rerun) { _rerun = rerun; }

    /// The logger's name; "msgbus.plugin.test" unless set.
    void setLoggerName(std::string name) { _loggerName = std::move(name); }

    /// The limit publish() enforces on a payload (outbox.max_body_bytes); 1 MiB unless set.
    void setMaxBodyBytes(std::size_t bytes) { _maxBodyBytes = bytes; }

    /// Everything publish() accepted, in order.
    const std::vector<Message>& published() const noexcept { return _published; }
    /// For each of published(), the id of the cause it was published with (publish(message,
    /// cause)), or nothing (publish(message)).
    const std::vector<std::optional<Id>>& causes() const noexcept { return _causes; }
    void clearPublished() noexcept {
        _published.clear();
        _causes.clear();
    }

private:
    void record(Message message, std::optional<Id> cause) {
        OutboxWriter::validate(message, _maxBodyBytes);
        if (!message.hasId())
            message.setId(Id::generate());
        _published.push_back(std::move(message));
        _causes.push_back(cause);
    }

    std::optional<Poco::Data::Session> _ownSession;
    Poco::Data::Session* _session = nullptr;
    std::vector<Message> _published;
    std::vector<std::optional<Id>> _causes;
    std::string _consumerName = "test";
    std::string _loggerName = "msgbus.plugin.test";
    std::size_t _maxBodyBytes = OutboxWriter::Options{}.maxBodyBytes;
    int _attempt = 1;
    bool _rerun = false;
};

} // namespace msgbus::testing
