#pragma once

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

/// A HandlerContext for unit tests of handlers: no host, broker, inbox or outbox table.
///
/// Header-only; link msgbus::sdk. publish() validates the message as the host's outbox does
/// (name, payload a JSON object, size), mints its id when it has none, and records it instead
/// of writing it: published() shows what the handler produced. attempt() and consumerName() are
/// settable, so retry-dependent behaviour can be tested.
///
/// session() is either a session the test passes (the test owns it and its transaction, exactly
/// as the host owns the inbox transaction), or, with the default constructor, a private in-memory
/// SQLite database opened on first use; the test must then have registered the SQLite connector
/// (Poco::Data::SQLite::Connector::registerConnector(), link Poco::DataSQLite).
///
/// Not thread-safe: one context per handle() call, as in the host.
class FakeHandlerContext : public HandlerContext {
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

    void publish(Message message) override {
        OutboxWriter::validate(message, _maxBodyBytes);
        if (!message.hasId())
            message.setId(Id::generate());
        _published.push_back(std::move(message));
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
    void clearPublished() noexcept { _published.clear(); }

private:
    std::optional<Poco::Data::Session> _ownSession;
    Poco::Data::Session* _session = nullptr;
    std::vector<Message> _published;
    std::string _consumerName = "test";
    std::string _loggerName = "msgbus.plugin.test";
    std::size_t _maxBodyBytes = OutboxWriter::Options{}.maxBodyBytes;
    int _attempt = 1;
    bool _rerun = false;
};

} // namespace msgbus::testing
