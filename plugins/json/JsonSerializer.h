#pragma once

#include <msgbus/Serializer.h>

#include <cstddef>
#include <string>

namespace msgbus::plugins {

/// The default serializer (plugin `json`): a Message travels as its JSON payload in the body,
/// its envelope (id, name, creation time, partition key) in AMQP properties and `x-*` headers,
/// and its own headers as string headers (the wire format is in README.md).
///
/// decode() accepts two forms:
/// - msgbus: id from header `x-message-id`, name from `x-message-name` (what encode() writes).
/// - Symfony Messenger / Freyr (PHP peers): name in header `type`, id in a header
///   `X-Message-Stamp-<Namespace>\MessageIdStamp` (prefix matched case-insensitively) holding
///   `[{"messageId":"<ULID or UUID>"}]`; the last element wins, as it does for Symfony's
///   `Envelope::last()`. A bare `X-Message-Stamp-MessageIdStamp` (no namespace, as the Freyr
///   guide prints it) is accepted too.
/// Lookup order for the id: `x-message-id`, then the MessageIdStamp (a PHP peer deduplicates on
/// it, so it beats a `message_id` property some other layer may have set), then the
/// `message_id` property. Only the first source found is read: a stamp is not parsed, nor can it
/// fail the message, when `x-message-id` is present. For the name: `x-message-name`, then the
/// `type` property, then the `type` header. Empty properties count as unset.
/// The creation time comes from `x-created-at` (any AMQP integer type, epoch ms), else the
/// `timestamp` property * 1000, else 0.
///
/// Every other header becomes a Message header, converted to text: strings and byte arrays
/// when they are valid UTF-8 (Message headers are stored as JSON text and must be UTF-8:
/// OutboxWriter refuses anything else, so a handler that copies headers into publish() would fail
/// on them), integers and timestamps as decimal text, booleans as "true"/"false", floats
/// in their shortest round-trip form. Arrays, tables, decimals and void are dropped, as are
/// headers with an empty or non-UTF-8 key. Reserved headers are never copied: `x-message-id`,
/// `x-message-name`, `x-created-at`, `x-partition-key`, `type`, `Content-Type` (any case)
/// and every `X-Message-Stamp-*`. encode() likewise leaves out a Message header with one of
/// these names: the envelope fields are the truth, and a copy would not survive decode().
///
/// Both directions throw MalformedMessage (permanent) for bad input; field() says where:
/// "message id", "message name", "header <key>", "property <name>" or "body". encode() checks
/// what decode() would check on the other side (id present, valid name, body a JSON object of at
/// most max_body_bytes), so a bad outbox row fails at the source instead of at every consumer.
///
/// Configuration (the plugin's view, keys without the `plugin.<id>.config.` prefix):
/// - `style` = `msgbus` (default) | `symfony`: `symfony` adds the headers a Symfony Messenger
///   consumer needs (`type`, the MessageIdStamp and MessageNameStamp headers in
///   `symfony_namespace`, `Content-Type`) and keeps the `x-*` headers for msgbus consumers.
/// - `max_body_bytes`: a positive decimal integer, default 1048576.
/// - `symfony_namespace`: the PHP namespace of the stamp classes, default
///   `Freyr\MessageBroker\Inbox`.
/// configure() throws InvalidArgument naming the key for a bad value or an unknown key (a typo
/// would otherwise be silently ignored) and leaves the object unchanged then.
///
/// Threading: configure() once, before use; encode() and decode() are const, keep no state and
/// may run concurrently.
class JsonSerializer : public msgbus::Serializer {
public:
    static constexpr std::size_t defaultMaxBodyBytes = 1048576;
    static constexpr const char* defaultSymfonyNamespace = "Freyr\\MessageBroker\\Inbox";

    enum class Style { Msgbus, Symfony };

    JsonSerializer();
    ~JsonSerializer() override;

    void configure(const Poco::Util::AbstractConfiguration& config) override;

    WireMessage encode(const Message& message) const override;
    Message decode(const WireMessage& wire) const override;

    Style style() const noexcept { return _style; }
    std::size_t maxBodyBytes() const noexcept { return _maxBodyBytes; }
    const std::string& symfonyNamespace() const noexcept { return _symfonyNamespace; }

private:
    void checkBody(const std::string& body) const;

    Style _style = Style::Msgbus;
    std::size_t _maxBodyBytes = defaultMaxBodyBytes;
    std::string _symfonyNamespace;
    // Derived from _symfonyNamespace in configure(), so encode() does not build them per message.
    std::string _idStampHeader;
    std::string _nameStampHeader;
};

} // namespace msgbus::plugins
