// Poison that attacks its host, end to end with `msgbus run`.
//
// A message whose handler kills the host process (SIGKILL, as the OOM killer would), with the
// host restarted after each death as a service manager would, on a classic queue (the broker
// keeps no count). Without a count that survives the host, it would die on the message for
// ever:
// - fresh deliveries: the runs that began and never ended are recorded in the database, so the
//   killer runs alone after its neighbours and ends a failed row after inbox.max_redeliveries;
// - retry rows: each run is leased (its attempt committed) first, so a row whose run kills the
//   host ends failed after retry.max_retries.
// Each neighbour is handled exactly once, and the host that finally runs stays up and stops
// cleanly on SIGTERM.
//
// A handler that makes its host reload the plugins (SIGHUP) and then throws an exception whose
// type its own library defines: the old generation stays mapped until the exception is gone,
// the host survives, and the retry runs on the new generation.
#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/plugins/PluginLoader.h"
#include "support/HostProcess.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <set>

using namespace msgbus;
using namespace msgbus::test;
using namespace Poco::Data::Keywords;
using namespace std::chrono_literals;

namespace {

/// A host configuration with the poison handler on its own queue and MariaDB database.
class CrashBench {
public:
    explicit CrashBench(const std::string& name) {
        dir = tempDir(name);
        exchange = uniqueName(name + "_ex");
        queue = uniqueName(name + "_q");
        auto properties = baseProperties("MySQL", createMysqlDatabase(), exchange,
                                         {{"plugin.poison.library", "libmsgbus-test-poison.so"},
                                          {"inbox.consumers", "poison"},
                                          {"inbox.consumer.poison.queue", queue},
                                          {"inbox.consumer.poison.plugins", "poison"},
                                          {"inbox.max_redeliveries", "2"},
                                          {"retry.max_retries", "2"},
                                          {"retry.delay_ms", "200"},
                                          {"retry.max_delay_ms", "400"},
                                          {"retry.lease_ms", "200"},
                                          {"outbox.workers", "1"}});
        properties["plugins.runtime_dir"] = dir + "/runtime";
        configPath = writeProperties(dir + "/host.properties", properties);
        config = configFrom(properties);
        settings = core::Settings::load(*config);
        database = std::make_unique<core::Database>(settings.db);
        core::Schema::apply(*database,
                            {settings.outbox.table, settings.dedupTable, settings.failedTable});
        auto session = database->session();
        *session << "CREATE TABLE poison_effects (k VARCHAR(64) PRIMARY KEY, rerun INT NOT NULL)",
            now;
        declareQueue(exchange, queue, "#");
    }

    ~CrashBench() { deleteQueueAndExchange(queue, exchange); }

    /// Six good messages g-0..g-5 with the one of mode poisonMode between g-2 and g-3.
    void publish(const std::string& poisonMode) {
        auto plugins = core::PluginLoader(core::pluginManifestOf(settings), config).load(1);
        std::vector<core::amqp::OutgoingMessage> out;
        auto add = [&](const std::string& key, const std::string& mode) {
            Message m("test.poison", R"({"key":")" + key + R"(","mode":")" + mode + R"("})");
            m.setId(Id::generate());
            out.push_back({out.size(), exchange, "test.poison", plugins->serializer->encode(m)});
        };
        for (int i = 0; i < 6; ++i) {
            if (i == 3)
                add("crasher", poisonMode);
            add("g-" + std::to_string(i), "ok");
        }
        core::amqp::AmqpPublisher publisher(core::amqp::AmqpUrl::parse(amqpUrl()));
        for (const auto& outcome : publisher.publishBatch(out, 30s))
            CPPUNIT_ASSERT(outcome.result == core::amqp::PublishResult::Confirmed);
    }

    Poco::Int64 scalar(const std::string& sql) {
        auto session = database->session();
        Poco::Int64 n = 0;
        *session << sql, into(n), now;
        return n;
    }

    Poco::Int64 failedRows(const std::string& errorClass) {
        return scalar("SELECT COUNT(*) FROM " + settings.failedTable +
                      " WHERE queue_name = 'failed' AND error_class = '" + errorClass + "'");
    }

    /// Starts `msgbus run` again after each death until the poison is a failed row of
    /// errorClass and every neighbour is handled; returns how often the host died.
    int runUntilSettled(const std::string& errorClass) {
        int deaths = 0;
        bool settled = false;
        for (int start = 1; start <= 8 && !settled; ++start) {
            HostProcess host(HostProcess::msgbusRun(configPath),
                             dir + "/host-" + std::to_string(start) + ".log");
            waitUntil([&] { return !host.running() || failedRows(errorClass) == 1; }, 30s);
            if (!host.running()) {
                ++deaths;
                continue;
            }
            settled = waitUntil(
                [&] {
                    return scalar("SELECT COUNT(*) FROM poison_effects WHERE k LIKE 'g-%'") == 6 &&
                           queueDepth(queue) == 0;
                },
                30s);
            host.signal(SIGTERM);
            const auto status = host.waitExit(30s);
            CPPUNIT_ASSERT_MESSAGE("host " + std::to_string(start) + ": " +
                                       (status ? status->describe() : "still running") + "\n" +
                                       host.logTail(),
                                   status && status->success());
        }
        std::cout << "\n  the poison killed its host " << deaths << " times" << std::flush;
        CPPUNIT_ASSERT(settled);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), failedRows(errorClass));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1),
                             scalar("SELECT COUNT(*) FROM " + settings.failedTable));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0),
                             scalar("SELECT COUNT(*) FROM poison_effects WHERE k = 'crasher'"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(6), scalar("SELECT COUNT(*) FROM poison_effects"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), scalar("SELECT COUNT(*) FROM " +
                                                    core::runsTableOf(settings.dedupTable)));
        return deaths;
    }

    std::string dir, exchange, queue, configPath;
    Poco::AutoPtr<Poco::Util::AbstractConfiguration> config;
    core::Settings settings;
    std::unique_ptr<core::Database> database;
};

} // namespace

class HostPoisonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HostPoisonTest);
    CPPUNIT_TEST(testMessageThatKillsItsHostEndsFailedAfterTheRedeliveryLimit);
    CPPUNIT_TEST(testRetryThatKillsItsHostEndsFailedAfterTheRetryLimit);
    CPPUNIT_TEST(testPluginExceptionThrownAcrossAReloadLeavesTheHostRunning);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMessageThatKillsItsHostEndsFailedAfterTheRedeliveryLimit() {
        CrashBench bench("crash");
        bench.publish("crash");
        // It kills its host on its first delivery (in a batch, not recorded: a first delivery
        // pays nothing), on its first redelivery (with the batch, now recorded), then twice
        // running alone after its neighbours (inbox.max_redeliveries = 2); the next
        // redelivery is stored as failed without running it.
        CPPUNIT_ASSERT_EQUAL(4, bench.runUntilSettled("RedeliveryLimit"));
    }

    void testRetryThatKillsItsHostEndsFailedAfterTheRetryLimit() {
        CrashBench bench("crashretry");
        bench.publish("crash-on-retry");
        // Its first attempt throws (a retry row); attempts 2 and 3 kill the host from the retry
        // worker (retry.max_retries = 2); the row then says its last attempt never ended.
        CPPUNIT_ASSERT_EQUAL(2, bench.runUntilSettled("RedeliveryLimit"));
    }

    void testPluginExceptionThrownAcrossAReloadLeavesTheHostRunning() {
        CrashBench bench("reload");
        bench.publish("reload");
        HostProcess host(HostProcess::msgbusRun(bench.configPath), bench.dir + "/host.log");
        const bool settled = waitUntil(
            [&] {
                return !host.running() ||
                       (bench.scalar("SELECT COUNT(*) FROM poison_effects") == 7 &&
                        bench.scalar("SELECT COUNT(*) FROM " + bench.settings.failedTable) == 0 &&
                        queueDepth(bench.queue) == 0);
            },
            60s);
        CPPUNIT_ASSERT_MESSAGE("the host ended\n" + host.logTail(), host.running());
        CPPUNIT_ASSERT_MESSAGE("not settled within 60 s\n" + host.logTail(), settled);
        CPPUNIT_ASSERT_MESSAGE(host.logTail(), host.logContains("generation 2 is live"));
        CPPUNIT_ASSERT_MESSAGE(host.logTail(), host.logContains("threw across a reload"));
        // The old generation's copies go once nothing uses them: one generation is left.
        auto generations = [&] {
            std::set<std::string> dirs;
            for (const auto& entry :
                 std::filesystem::recursive_directory_iterator(bench.dir + "/runtime"))
                if (entry.path().extension() == ".so")
                    dirs.insert(entry.path().parent_path().string());
            return dirs.size();
        };
        const bool oneLeft = waitUntil([&] { return generations() == 1; }, 10s);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(generations()) + " generations", oneLeft);
        host.signal(SIGTERM);
        const auto status = host.waitExit(30s);
        CPPUNIT_ASSERT_MESSAGE((status ? status->describe() : "still running") + "\n" +
                                   host.logTail(),
                               status && status->success());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HostPoisonTest);
