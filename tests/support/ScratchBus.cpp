#include "support/ScratchBus.h"

#include "core/db/Schema.h"
#include "core/plugins/PluginLoader.h"
#include "support/TestEnv.h"

namespace msgbus::test {

using namespace Poco::Data::Keywords;

ScratchBus::ScratchBus(const std::string& prefix)
    : exchange(uniqueName(prefix + "_ex")), queue(uniqueName(prefix + "_q")) {}

ScratchBus::~ScratchBus() {
    plugins.publish(nullptr);
    deleteQueueAndExchange(queue, exchange);
}

void ScratchBus::open(const std::string& connector, const std::map<std::string, std::string>& extra,
                      const std::string& bindingPattern,
                      const std::function<void(Poco::Data::Session&)>& prepare) {
    const std::string connection =
        connector == "MySQL" ? createMysqlDatabase() : createSqliteDatabase();
    auto config = configFrom(baseProperties(connector, connection, exchange, extra));
    settings = core::Settings::load(*config);
    database = std::make_unique<core::Database>(settings.db);
    core::Schema::apply(*database,
                        {settings.outbox.table, settings.dedupTable, settings.failedTable});
    if (prepare) {
        auto session = database->session();
        prepare(*session);
    }
    plugins.publish(core::PluginLoader(settings, config).load(1));
    declareQueue(exchange, queue, bindingPattern);
}

int ScratchBus::count(const std::string& sql) {
    auto session = database->session();
    int n = -1;
    *session << sql, into(n), now;
    return n;
}

} // namespace msgbus::test
