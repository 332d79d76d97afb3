#include "msgbus/OutboxTransaction.h"

#include "msgbus/Error.h"

#include <Poco/Data/Session.h>
#include <Poco/String.h>

namespace msgbus {

using namespace Poco::Data::Keywords;

OutboxTransaction::OutboxTransaction(Poco::Data::Session& session, OutboxWriter::Options options,
                                     std::shared_ptr<const Doorbell> doorbell)
    : _session(session), _writer(session, std::move(options)), _doorbell(std::move(doorbell)),
      _mysql(Poco::toLower(session.connector()) == "mysql") {
    // Statements, not Session::begin(): Poco's MySQL begin() switches autocommit off for good,
    // and its SQLite begin() is a deferred BEGIN.
    _session << (_mysql ? "START TRANSACTION" : "BEGIN IMMEDIATE"), now;
    _active = true;
}

OutboxTransaction::~OutboxTransaction() {
    if (!_active)
        return;
    try {
        rollback();
    } catch (...) {
        // The connection is gone, and the server rolled the transaction back with it.
    }
}

Id OutboxTransaction::write(Message& message) {
    if (!_active)
        throw Error("OutboxTransaction: write after commit or rollback");
    return _writer.write(message);
}

std::vector<Id> OutboxTransaction::write(std::vector<Message>& messages) {
    if (!_active)
        throw Error("OutboxTransaction: write after commit or rollback");
    return _writer.write(messages);
}

void OutboxTransaction::commit() {
    if (!_active)
        throw Error("OutboxTransaction: commit after commit or rollback");
    _active = false;
    try {
        _session << "COMMIT", now;
    } catch (...) {
        // SQLite can refuse a COMMIT (busy) and keep the transaction open: end it, so that the
        // caller's exception means "nothing was written" on both databases.
        try {
            _session << "ROLLBACK", now;
        } catch (...) {
        }
        throw;
    }
    if (_doorbell)
        _writer.notify(*_doorbell);
    else
        _writer.notify();
}

void OutboxTransaction::rollback() {
    if (!_active)
        return;
    _active = false;
    _session << "ROLLBACK", now;
}

} // namespace msgbus
