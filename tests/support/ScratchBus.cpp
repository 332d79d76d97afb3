#include "support/ScratchBus.h"

#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/PartitionSettings.h"
#include "core/db/Schema.h"
#include "core/db/Transaction.h"
#include "core/inbox/InboxConsumer.h"
#include "core/plugins/PluginLoader.h"
#include "core/util/StopToken.h"
#include "support/TestEnv.h"

#include <msgbus/OutboxWriter.h>

#include <cppunit/TestAssert.h>

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
    properties = baseProperties(connector, connection, exchange, extra);
    auto config = configFrom(properties);
    settings = core::Settings::load(*config);
    database = std::make_unique<core::Database>(settings.db);
    core::Schema::apply(*database, core::tableNamesOf(settings));
    if (prepare) {
        auto session = database->session();
        prepare(*session);
    }
    plugins.publish(core::PluginLoader(core::pluginManifestOf(settings), config).load(1));
    // As `msgbus setup` would, when the test configures the queue (a quorum queue, say).
    std::string type = "classic";
    std::vector<core::amqp::QueueArgument> arguments;
    for (const auto& configured : settings.amqp.queues)
        if (configured.name == queue) {
            type = configured.type;
            arguments = configured.arguments;
        }
    declareQueue(exchange, queue, bindingPattern, type, arguments);
}

std::string ScratchBus::writeConfig(const std::string& dir) const {
    return writeProperties(dir + "/msgbus.properties", properties);
}

int ScratchBus::count(const std::string& sql) {
    auto session = database->session();
    int n = -1;
    *session << sql, into(n), now;
    return n;
}

void ScratchBus::send(const std::vector<WireMessage>& wires, const std::string& routingKey) {
    std::vector<core::amqp::OutgoingMessage> out;
    for (std::size_t i = 0; i < wires.size(); ++i)
        out.push_back({i, exchange, routingKey, wires[i]});
    core::amqp::AmqpPublisher publisher(core::amqp::AmqpUrl::parse(amqpUrl()));
    for (const auto& outcome : publisher.publishBatch(out, std::chrono::seconds(30)))
        CPPUNIT_ASSERT_MESSAGE(outcome.error,
                               outcome.result == core::amqp::PublishResult::Confirmed);
}

void ScratchBus::consume(std::uint64_t deliveries) {
    core::StopToken stop;
    core::InboxConsumer consumer(
        *database, plugins, core::inboxWorkerSettingsOf(settings, settings.inbox.consumers.at(0)),
        metrics, {});
    consumer.run(stop, deliveries);
}

std::multiset<std::string> ScratchBus::drainMessageIds() {
    core::amqp::AmqpConsumer::Options options;
    options.queue = queue;
    options.prefetch = 1000;
    core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(amqpUrl()), options);
    consumer.connect();
    std::multiset<std::string> ids;
    while (auto delivery = consumer.next(std::chrono::milliseconds(1000))) {
        const auto* id = delivery->wire.header("x-message-id");
        CPPUNIT_ASSERT_MESSAGE("a delivery without x-message-id", id);
        ids.insert(id->text);
        consumer.ack(delivery->deliveryTag, false, delivery->connectionEpoch);
    }
    return ids;
}

std::vector<std::string> ScratchBus::writeOutbox(int count, const std::string& name) {
    std::vector<std::string> ids;
    auto session = database->session();
    core::Transaction tx(*session, database->dialect());
    OutboxWriter writer(*session, {settings.outbox.table, settings.outbox.maxBodyBytes});
    for (int i = 0; i < count; ++i) {
        Message message(name, R"({"n":)" + std::to_string(i) + "}");
        ids.push_back(writer.write(message).toString());
    }
    tx.commit();
    return ids;
}

} // namespace msgbus::test
