// The operations endpoint never waits for the database: /metrics serves the gauges computed in
// the background, and /health answers while every pool session is held.
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/host/Host.h"
#include "support/HostProcess.h"
#include "support/HttpProbe.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <future>
#include <map>
#include <vector>

using namespace msgbus;

using Reply = test::HttpReply;

namespace {

Reply get(int port, const std::string& path, std::chrono::milliseconds timeout) {
    return test::httpGet(port, path, timeout);
}

int freePort() {
    return test::freeLocalPort();
}

} // namespace

class MetricsEndpointTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsEndpointTest);
    CPPUNIT_TEST(testHealthAndMetricsAnswerWhileEveryPoolSessionIsHeld);
    CPPUNIT_TEST_SUITE_END();

    std::string _dir;

public:
    void setUp() override { _dir = test::tempDir("metrics"); }

    void tearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(_dir, ignored);
    }

    void testHealthAndMetricsAnswerWhileEveryPoolSessionIsHeld() {
        const int port = freePort();
        std::map<std::string, std::string> props{
            {"db.connector", "SQLite"},
            {"db.connection", _dir + "/bus.db"},
            {"db.pool.max", "1"},
            {"amqp.url", "amqp://u:p@127.0.0.1:1/%2f"}, // no worker uses the broker
            {"plugins.dir", test::pluginDir()},
            {"plugins.runtime_dir", _dir + "/runtime"},
            {"plugin.json.library", "libmsgbus-json.so"},
            {"plugin.routing.library", "libmsgbus-routing.so"},
            {"outbox.workers", "0"},
            {"outbox.table", test::uniqueName("outbox")},
            {"http.port", std::to_string(port)}};
        const std::string path = test::writeProperties(_dir + "/msgbus.properties", props);
        auto config = test::configFrom(props);
        core::Settings settings = core::Settings::load(*config);
        core::Host host(config, settings, path);
        core::Schema::apply(host.database(),
                            {settings.outbox.table, settings.dedupTable, settings.failedTable});
        host.start();
        CPPUNIT_ASSERT_EQUAL(port, host.httpPort());
        const auto quick = std::chrono::milliseconds(2000);

        // The gauges come from the background refresh, which runs at once on start.
        CPPUNIT_ASSERT(test::waitUntil(
            [&] {
                return get(port, "/metrics", quick).body.find("msgbus_outbox_pending 0") !=
                       std::string::npos;
            },
            std::chrono::seconds(10)));

        {
            // Every session of the pool is out (a busy host): the gauges cannot be computed.
            auto held = host.database().session();
            // Was: /metrics blocked on the pool without a timeout, and two scrapes in flight
            // took both server threads, so /health and /ready stalled behind them.
            std::vector<std::future<Reply>> scrapes;
            for (int i = 0; i < 3; ++i)
                scrapes.push_back(
                    std::async(std::launch::async, [&] { return get(port, "/metrics", quick); }));
            Reply health = get(port, "/health", quick);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(health.body, 200, health.status);
            CPPUNIT_ASSERT_MESSAGE(health.body, health.body.find("\"ok\"") != std::string::npos);
            Reply ready = get(port, "/ready", quick);
            CPPUNIT_ASSERT_MESSAGE(ready.body, ready.status == 200 || ready.status == 503);
            for (auto& scrape : scrapes) {
                Reply metrics = scrape.get();
                CPPUNIT_ASSERT_EQUAL_MESSAGE(metrics.body, 200, metrics.status);
                // The last values, with their age.
                CPPUNIT_ASSERT_MESSAGE(metrics.body, metrics.body.find("msgbus_outbox_pending 0") !=
                                                         std::string::npos);
                CPPUNIT_ASSERT_MESSAGE(metrics.body,
                                       metrics.body.find("msgbus_database_gauges_age_seconds") !=
                                           std::string::npos);
            }
        }
        host.stop();
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsEndpointTest);
