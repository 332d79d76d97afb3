#pragma once

#include "core/config/Settings.h"
#include "core/host/Host.h"

#include <Poco/Data/Session.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace msgbus::test {

/// A core::Host in this process, built as `msgbus run` builds it, on scratch resources: a fresh
/// MariaDB database (or SQLite file) with the schema, a fresh exchange with one queue bound with
/// "#", and a private plugin runtime directory. The names come first so that the test's properties
/// can refer to them; start() then builds and starts the host. The destructor stops it and deletes
/// the queue and the exchange.
struct InProcessHost {
    std::string dir;
    std::string exchange;
    std::string queue;
    core::Settings settings;
    std::unique_ptr<core::Host> host;

    explicit InProcessHost(const std::string& prefix);
    ~InProcessHost();
    InProcessHost(const InProcessHost&) = delete;
    InProcessHost& operator=(const InProcessHost&) = delete;

    /// extra extends test::baseProperties; prepare runs on the database before the host starts
    /// (the test's own tables); connector: "MySQL" (MariaDB) or "SQLite".
    void start(const std::map<std::string, std::string>& extra,
               const std::function<void(Poco::Data::Session&)>& prepare = {},
               const std::string& connector = "MySQL");
};

} // namespace msgbus::test
