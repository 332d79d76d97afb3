#include "msgbus/OutboxWriter.h"

#include "msgbus/Doorbell.h"
#include "msgbus/Error.h"
#include "msgbus/MessageName.h"
#include "msgbus/internal/Json.h"
#include "msgbus/internal/SqlIdentifier.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <Poco/String.h>

#include <algorithm>
#include <chrono>

namespace msgbus {

using namespace Poco::Data::Keywords;

namespace {

std::int64_t nowMillis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

OutboxWriter::OutboxWriter(Poco::Data::Session& session) : OutboxWriter(session, Options{}) {}

OutboxWriter::OutboxWriter(Poco::Data::Session& session, Options options)
    : _session(session), _options(std::move(options)),
      _mysql(Poco::toLower(session.connector()) == "mysql") {
    validateSqlIdentifier(_options.table, "outbox table");
    if (!_mysql && Poco::toLower(session.connector()) != "sqlite")
        throw InvalidArgument("OutboxWriter: unsupported connector '" + session.connector() +
                              "' (MySQL and SQLite are supported)");
}

void OutboxWriter::validate(const Message& message, std::size_t maxBodyBytes) {
    validateMessageName(message.name());
    const std::string what = "message '" + message.name() + "' payload";
    if (message.payload().size() > maxBodyBytes)
        throw InvalidArgument(what + ": " + std::to_string(message.payload().size()) +
                              " bytes exceeds the limit of " + std::to_string(maxBodyBytes));
    json::requireObject(message.payload(), what);
    for (const auto& [key, value] : message.headers()) {
        if (key.empty() || !json::isValidUtf8(key) || !json::isValidUtf8(value))
            throw InvalidArgument("message '" + message.name() + "' header '" + key +
                                  "': keys must be non-empty and keys and values valid UTF-8");
    }
    message.deliverAt(); // throws on a malformed delivery time
    if (message.partitionKey() &&
        (message.partitionKey()->size() > 255 || !json::isValidUtf8(*message.partitionKey())))
        throw InvalidArgument("message '" + message.name() +
                              "' partition key: at most 255 bytes of UTF-8");
}

Id OutboxWriter::write(Message& message) {
    std::vector<Message> one{message};
    auto ids = write(one);
    message = std::move(one.front());
    return ids.front();
}

std::vector<Id> OutboxWriter::write(std::vector<Message>& messages) {
    std::vector<Id> ids;
    ids.reserve(messages.size());
    const std::int64_t now = nowMillis();
    for (auto& message : messages) {
        validate(message, _options.maxBodyBytes);
        if (!message.hasId())
            message.setId(Id::generate());
        if (message.createdAt() == 0)
            message.setCreatedAt(now);
        ids.push_back(message.id());
    }
    std::vector<std::string> headers;
    std::vector<std::size_t> sizes;
    headers.reserve(messages.size());
    sizes.reserve(messages.size());
    for (const auto& message : messages) {
        headers.push_back(storedHeaders(message));
        sizes.push_back(rowBytes(message, headers.back()));
    }
    // Multi-row statements, each one round trip, bounded in rows (SQLite's bound-parameter
    // limit) and in bytes: every column of every row counts, headers as much as payloads, or
    // a statement could outgrow MariaDB's max_allowed_packet (the server then drops the
    // connection, which would pass for an outage blamed on the handler).
    std::size_t first = 0;
    while (first < messages.size()) {
        std::size_t last = first + 1;
        std::size_t bytes = sizes[first];
        while (last < messages.size() && last - first < kMaxRowsPerStatement &&
               bytes + sizes[last] <= kMaxBytesPerStatement)
            bytes += sizes[last++];
        insertRows(std::span<const Message>(messages).subspan(first, last - first),
                   std::span<std::string>(headers).subspan(first, last - first), now);
        first = last;
    }
    return ids;
}

std::string OutboxWriter::storedHeaders(const Message& message) {
    if (!message.deliverAt())
        return json::toObject(message.headers());
    // The schedule lives in available_at; the stored headers go to the broker as they are,
    // and the consumers have no use for it.
    auto stored = message.headers();
    stored.erase(Message::kDeliverAtHeader);
    return json::toObject(stored);
}

std::size_t OutboxWriter::rowBytes(const Message& message, const std::string& headers) {
    return kRowOverheadBytes + message.id().bytes().size() + message.name().size() +
           (message.partitionKey() ? message.partitionKey()->size() : 0) + headers.size() +
           message.payload().size();
}

void OutboxWriter::insertRows(std::span<const Message> rows, std::span<std::string> headers,
                              std::int64_t now) {
    // Poco binds by reference (never to const): every bound value lives in these vectors or in
    // headers, sized before the first use() so that none of them moves.
    const std::size_t n = rows.size();
    std::vector<Poco::Data::BLOB> ids(n);
    std::vector<std::string> names(n);
    std::vector<Poco::Nullable<std::string>> partitionKeys(n);
    std::vector<Poco::Data::BLOB> bodies(n);
    std::vector<std::int64_t> createdAts(n);
    std::vector<std::int64_t> availableAts(n);
    Poco::Data::Statement insert(_session);
    insert << "INSERT INTO " << _options.table
           << " (message_id, message_name, partition_key, headers, body, created_at, "
              "available_at, attempts) VALUES ";
    for (std::size_t i = 0; i < n; ++i) {
        const Message& message = rows[i];
        const auto& bytes = message.id().bytes();
        ids[i].assignRaw(bytes.data(), bytes.size());
        names[i] = message.name();
        if (message.partitionKey())
            partitionKeys[i] = *message.partitionKey();
        bodies[i].assignRaw(reinterpret_cast<const unsigned char*>(message.payload().data()),
                            message.payload().size());
        createdAts[i] = message.createdAt();
        const auto deliverAt = message.deliverAt();
        // A delivery time in the past is due now, in its place among the rows written now
        // (not ahead of rows that have waited longer).
        availableAts[i] = deliverAt ? std::max(now, *deliverAt) : createdAts[i];
        insert << (i ? ", (?, ?, ?, ?, ?, ?, ?, 0)" : "(?, ?, ?, ?, ?, ?, ?, 0)");
        insert, use(ids[i]), use(names[i]), use(partitionKeys[i]), use(headers[i]), use(bodies[i]),
            use(createdAts[i]), use(availableAts[i]);
    }
    insert.execute();
    _unannounced = true;
}

void OutboxWriter::notify(const Doorbell& doorbell) noexcept {
    if (!_unannounced)
        return;
    _unannounced = false;
    doorbell.ring(_options.table);
}

void OutboxWriter::notify() noexcept {
    if (!_unannounced)
        return;
    try {
        notify(*Doorbell::standard());
    } catch (...) {
        // No socket for the standard doorbell (out of descriptors): the relays' poll finds the
        // rows; the application's commit must not fail after the fact.
    }
}

} // namespace msgbus
