#pragma once

#include "core/config/Settings.h"
#include "core/console/Console.h"
#include "core/db/Database.h"
#include "core/failed/FailedStore.h"
#include "core/host/AdminHttpServer.h"

#include <Poco/JSON/Object.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace msgbus::test {

/// An answer of the console, its JSON parsed when it is JSON.
struct ConsoleReply {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
    Poco::JSON::Object::Ptr json; ///< null when the body is not a JSON object
};

/// A console over a fresh database (MariaDB or SQLite) with the schema, served in-process on a
/// free loopback port (or 0.0.0.0 with authRequired), and the means to fill the failed table.
/// extra: more properties (console.*, inbox.consumers, ...).
struct ConsoleFixture {
    std::map<std::string, std::string> properties;
    core::Settings settings;
    std::unique_ptr<core::Database> database;
    std::unique_ptr<core::console::Console> console;
    std::unique_ptr<core::AdminHttpServer> server;
    std::string configPath;

    ConsoleFixture(const std::string& connector, std::map<std::string, std::string> extra = {},
                   bool authRequired = false,
                   std::map<std::string, std::set<std::string>> consumerNames = {});
    ~ConsoleFixture();

    /// A failed row as FailedStore stores it; returns its id.
    std::int64_t insert(core::FailedRecord record);
    /// A failed inbox row of consumer with that error; created and failed at createdAt (now when
    /// 0).
    std::int64_t insertFailed(const std::string& consumer, const std::string& name,
                              const std::string& errorClass, const std::string& error,
                              std::int64_t createdAt = 0, const std::string& queue = "failed",
                              std::int64_t availableAt = 0);
    /// Many rows in a few statements (INSERT ... SELECT doubling): count copies of row id.
    void copyRow(std::int64_t id, int count);

    ConsoleReply get(const std::string& pathAndQuery,
                     const std::map<std::string, std::string>& headers = {});
    ConsoleReply post(const std::string& path, const std::string& body,
                      const std::map<std::string, std::string>& headers = {});
    /// POST with the session's CSRF token (and the page's own Origin).
    ConsoleReply act(const std::string& body);

    int count(const std::string& sql);
    int port() const { return server->port(); }
};

/// The number member of a JSON object.
std::int64_t numberOf(const Poco::JSON::Object::Ptr& object, const std::string& key);

} // namespace msgbus::test
