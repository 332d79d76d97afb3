#pragma once

#include <msgbus/Message.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Data/Session.h>

#include <vector>

namespace msgbus::core {

/// Where a handler context's published messages go when its call returns: into the outbox at
/// once, through the inbox transaction's session, or, in a batch that writes what all its
/// handlers published together (deferTo), onto that batch's list. Borrows session and deferTo.
class PublishedWrite {
public:
    PublishedWrite(Poco::Data::Session& session, OutboxWriter::Options outbox,
                   std::vector<Message>* deferTo)
        : _session(session), _outbox(std::move(outbox)), _deferTo(deferTo) {}

    /// Writes messages (multi-row INSERTs) or hands them over; throws what the write throws.
    void take(std::vector<Message> messages) {
        if (messages.empty())
            return;
        if (_deferTo) {
            _deferTo->insert(_deferTo->end(), std::make_move_iterator(messages.begin()),
                             std::make_move_iterator(messages.end()));
            return;
        }
        OutboxWriter(_session, _outbox).write(messages);
    }

private:
    Poco::Data::Session& _session;
    OutboxWriter::Options _outbox;
    std::vector<Message>* _deferTo;
};

} // namespace msgbus::core
