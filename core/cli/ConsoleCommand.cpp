// msgbus console: the operator console's own server; and the console on a host's admin port.
#include "core/cli/ConsoleCommand.h"

#include "core/cli/CommandLine.h"
#include "core/cli/Commands.h"
#include "core/cli/Loaded.h"
#include "core/cli/VersionCommand.h"
#include "core/console/Console.h"
#include "core/console/JsonText.h"
#include "core/console/OperationsRoutes.h"
#include "core/db/Database.h"
#include "core/failed/ActionAudit.h"
#include "core/host/AdminHttpServer.h"
#include "core/host/Host.h"
#include "core/host/SignalThread.h"
#include "core/plugins/PluginLoader.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"
#include "core/util/StopToken.h"

#include <Poco/Logger.h>

#include <iostream>

namespace msgbus::core::cli {
namespace {

/// The consumers' names, read once from the plugins this configuration loads: the console runs
/// no handler, it only needs to know which consumer takes which name.
console::ConsumerNames loadConsumerNames(const Loaded& loaded) {
    try {
        auto set = PluginLoader(pluginManifestOf(loaded.settings), loaded.config).load(1);
        auto names = console::consumerNamesOf(*set);
        return [names] { return names; };
    } catch (...) {
        const std::string why = currentErrorText();
        Poco::Logger::get("msgbus.console")
            .warning("the plugins did not load, so a retry to another consumer is refused: %s",
                     why);
        return [why]() -> std::map<std::string, std::set<std::string>> {
            throw console::ApiError(503, "the console could not load the plugins, so it cannot "
                                         "tell which consumer handles a name: " +
                                             why);
        };
    }
}

/// The outbox, queues and hosts pages' routes, their replays written to the audit trail the
/// failed-message actions use.
void addOperationsRoutes(console::Console& console, Database& database, const Settings& s) {
    console::OperationsContext context{database, s};
    context.maxActionRows = s.console.maxActionRows;
    context.audit = [&database, &s](const console::AuditedAction& action) {
        auto session = database.session();
        ActionAudit audit(database.dialect(), s.failedTable);
        AuditEntry entry;
        entry.at = nowMillis();
        entry.who = action.who;
        entry.origin = "console";
        entry.action = action.action;
        entry.filterJson = action.filterJson;
        entry.count = action.count;
        const std::int64_t id = audit.begin(*session, entry);
        audit.finish(*session, id, action.done, action.refused);
        return id;
    };
    console::addOperationsRoutes(console.routes(), context);
}

} // namespace

int consoleCommand(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "listen"}, {});
    auto loaded = loadSettings(line);
    const auto& s = loaded.settings;
    const ListenAddress at = line.has("listen")
                                 ? ListenAddress::parse(*line.value("listen"), "--listen")
                                 : s.console.listen;
    s.console.requireAuthFor(at, line.has("listen") ? "--listen" : "console.listen");
    Database database(s.db);
    console::Console console(
        console::ConsoleContext{database, s, loadConsumerNames(loaded), versionNumber()},
        s.console.authRequired(at));
    addOperationsRoutes(console, database, s);
    AdminHttpServer::Probes probes;
    probes.extension = [&console](const Poco::Net::HTTPServerRequest& request) {
        return console.handlerFor(request);
    };
    AdminHttpServer server(at.port, probes, at.host);
    const std::string host = at.host.find(':') != std::string::npos ? "[" + at.host + "]" : at.host;
    std::cout << "msgbus console on http://" << host << ":" << server.port() << "/"
              << (s.console.readOnly ? " (read-only)" : "") << std::endl;
    StopToken stopped;
    {
        SignalThread signals([&stopped] { stopped.requestStop(); }, {});
        while (!stopped.sleepFor(std::chrono::hours(1))) {
        }
    }
    Poco::Logger::get("msgbus.console").information("console stopped");
    return 0;
}

std::unique_ptr<console::Console> consoleOnAdminPort(Host& host, const Loaded& loaded) {
    const auto& s = loaded.settings;
    if (!s.console.enabled)
        return nullptr;
    if (s.httpPort == 0) {
        Poco::Logger::get("msgbus.console")
            .warning("console.enabled needs the admin port: http.port is 0, so no console");
        return nullptr;
    }
    PluginRegistry& plugins = host.plugins();
    console::ConsumerNames names = [&plugins] {
        auto set = plugins.current();
        return set ? console::consumerNamesOf(*set)
                   : std::map<std::string, std::set<std::string>>{};
    };
    // The admin port listens on loopback only.
    auto console = std::make_unique<console::Console>(
        console::ConsoleContext{host.database(), s, std::move(names), versionNumber()}, false);
    addOperationsRoutes(*console, host.database(), s);
    host.serveOnAdminPort([raw = console.get()](const Poco::Net::HTTPServerRequest& request) {
        return raw->handlerFor(request);
    });
    return console;
}

} // namespace msgbus::core::cli
