#pragma once

#include "core/db/Dialect.h"

#include <Poco/Data/Session.h>

#include <stdexcept>
#include <string>

namespace msgbus::core {

/// An explicit transaction on one session; rolls back in the destructor unless committed.
///
/// SQLite write transactions start with BEGIN IMMEDIATE: they take the write lock up front, so
/// they wait in busy_timeout instead of failing with BUSY on the lock upgrade that Poco's
/// BEGIN DEFERRED risks. Savepoints let a batch roll back one message's
/// work and keep the others'.
class Transaction {
public:
    Transaction(Poco::Data::Session& session, Dialect dialect);
    /// MySQL only: the transaction the caller starts itself, with kBeginSql in front of its
    /// first text query (MysqlLink), which saves the begin's own round trip. Sends nothing;
    /// commits and rolls back as the other form does (a rollback of a transaction whose first
    /// query never ran is harmless).
    struct BeginsWithNextQuery {};
    Transaction(Poco::Data::Session& session, BeginsWithNextQuery);
    /// What begins a MySQL transaction, as the first statement of a text query.
    static const std::string kBeginSql;
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();
    /// Runs statement, the transaction's last work, and commits, in one round trip on MySQL
    /// (a text query: numbers, hex literals and checked names only). When statement fails,
    /// nothing is committed and the transaction stays open. Throws as commit(), naming what.
    void commitAfter(const std::string& statement, const std::string& what);
    /// What commitIf() throws when its condition did not hold: nothing was committed, and the
    /// transaction is still open (the destructor rolls it back).
    class ConditionFailed : public std::runtime_error {
    public:
        using std::runtime_error::runtime_error;
    };
    /// Commits only when condition (an SQL boolean expression, by the rules of commitAfter())
    /// holds at the end of the transaction; else throws ConditionFailed(refusal). On MySQL with
    /// multi-statements (every session of Database) the check and the COMMIT are one round
    /// trip: the server raises the refusal itself, so that the COMMIT behind it never runs;
    /// elsewhere the check is a SELECT of its own. refusal must hold no quote. Throws as commit(),
    /// naming what, for any other failure.
    void commitIf(const std::string& condition, const std::string& refusal,
                  const std::string& what);
    void rollback();
    bool active() const noexcept { return _active; }

    /// Savepoints on a session inside a transaction. Setting one with a name already in use
    /// replaces it (MariaDB and SQLite alike), so one name serves a whole loop.
    class Savepoints {
    public:
        explicit Savepoints(Poco::Data::Session& session) : _session(session) {}
        void set(const std::string& name);
        void rollbackTo(const std::string& name);

    private:
        Poco::Data::Session& _session;
    };

private:
    Poco::Data::Session& _session;
    Dialect _dialect;
    bool _active = false;
};

/// A read-only transaction on one session whose reads all see the database as it was at its
/// first read, so that a command reading two tables that a relay moves rows between sees each
/// row once, in one of them. It takes no row locks: a relay's claims and settles never wait on
/// it. The sessions run READ COMMITTED on MySQL, where every statement would see its own
/// moment, so this transaction alone runs REPEATABLE READ with a consistent snapshot; SQLite's
/// WAL gives a deferred transaction a snapshot at its first read. Ends in the destructor (it
/// wrote nothing, so it rolls back). Throws when the database refuses to begin it. Not
/// thread-safe, like its session.
class ReadSnapshot {
public:
    ReadSnapshot(Poco::Data::Session& session, Dialect dialect);
    ~ReadSnapshot();
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
    Poco::Data::Session& _session;
};

} // namespace msgbus::core
