#include "support/InProcessHost.h"

#include "core/db/Schema.h"
#include "support/TestEnv.h"

namespace msgbus::test {

InProcessHost::InProcessHost(const std::string& prefix)
    : dir(tempDir(prefix)), exchange(uniqueName(prefix + "_ex")), queue(uniqueName(prefix + "_q")) {
}

InProcessHost::~InProcessHost() {
    if (host)
        host->stop();
    host.reset();
    deleteQueueAndExchange(queue, exchange);
}

void InProcessHost::start(const std::map<std::string, std::string>& extra,
                          const std::function<void(Poco::Data::Session&)>& prepare,
                          const std::string& connector) {
    auto props = baseProperties(
        connector, connector == "SQLite" ? createSqliteDatabase() : createMysqlDatabase(), exchange,
        extra);
    props.emplace("plugins.runtime_dir", dir + "/runtime");
    const std::string path = writeProperties(dir + "/msgbus.properties", props);
    auto config = configFrom(props);
    settings = core::Settings::load(*config);
    declareQueue(exchange, queue, "#");
    host = std::make_unique<core::Host>(config, settings, path);
    core::Schema::apply(host->database(), {settings.outbox.table, settings.dedupTable,
                                           settings.failedTable, settings.host.table});
    if (prepare) {
        auto session = host->database().session();
        prepare(*session);
    }
    host->start();
}

} // namespace msgbus::test
