// msgbus check: the configuration, the database and its schema, the broker nodes and topology,
// the plugins and consumers, one result per thing checked.
#include "core/amqp/AmqpNodes.h"
#include "core/cli/BrokerCheck.h"
#include "core/cli/CheckReport.h"
#include "core/cli/CommandLine.h"
#include "core/cli/Commands.h"
#include "core/cli/DatabaseCheck.h"
#include "core/cli/PluginCheck.h"
#include "core/cli/ReservedStdout.h"
#include "core/config/ConfigError.h"
#include "core/config/ConfigLoader.h"
#include "core/config/SessionDemand.h"
#include "core/config/Settings.h"
#include "core/db/ConnectionString.h"

#include <Poco/Logger.h>

namespace msgbus::core::cli {
namespace {

SecretMask secretsOf(const Settings& settings) {
    SecretMask mask;
    if (settings.db.connector == "MySQL")
        mask.add(MysqlConnectionString(settings.db.connection).value("password"));
    const auto nodes = amqp::AmqpNodes::parse(settings.amqp.url);
    for (const auto& url : nodes.urls())
        mask.add(url.password());
    return mask;
}

/// `msgbus run` refuses a pool smaller than what its workers hold at once: say so here first.
void checkPool(const Settings& settings, CheckReport& report) {
    const SessionDemand demand = SessionDemand::of(settings);
    try {
        requirePoolForHost(settings);
        report.ok("database pool", "db.pool.max = " + std::to_string(settings.db.poolMax) +
                                       " covers the " + std::to_string(demand.total()) +
                                       " sessions `msgbus run` holds at once (" + demand.why + ")");
    } catch (const ConfigError& e) {
        report.fail("database pool", e.what());
    }
}

} // namespace

int check(const std::vector<std::string>& args) {
    CommandLine line(args, {"config"}, {"json"});
    if (!line.positional().empty())
        throw UsageError("check takes no arguments, only --config FILE and --json");
    // A configuration that does not load is a configuration error (exit 2), as for every
    // command; everything after it is a check result.
    const std::string path = resolveConfigPath(line.value("config").value_or(""));
    auto config = loadConfigurationFile(path);
    std::vector<std::string> warnings;
    const Settings settings = Settings::load(*config, &warnings);

    // The report is the output; the libraries' progress messages (connected, loaded) would only
    // come between its lines. Warnings and errors still go to stderr.
    Poco::Logger::setLevel("", Poco::Message::PRIO_WARNING);

    ReservedStdout out;
    CheckReport report(line.has("json") ? CheckReport::Format::Json : CheckReport::Format::Text,
                       secretsOf(settings), [&out](const std::string& text) { out.write(text); });
    report.ok("configuration", path);
    for (const auto& warning : warnings)
        report.info("configuration", warning);
    checkPool(settings, report);
    report.attempt("database", [&] { DatabaseCheck(settings, report).run(); });
    report.attempt("broker", [&] { BrokerCheck(settings, report).run(); });
    report.attempt("plugins", [&] { PluginCheck(settings, config, report).run(); });
    report.finish();
    return report.passed() ? 0 : 1;
}

} // namespace msgbus::core::cli
