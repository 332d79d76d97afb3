// The operations kit against a real Prometheus (Debian's, started here on loopback): it scrapes
// a running host's /metrics, the counters it stores match what the host did, the shipped alert
// rules load (and pass promtool), and every query of the shipped Grafana dashboard evaluates.
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/db/Transaction.h"
#include "core/host/Host.h"
#include "support/HostProcess.h"
#include "support/HttpProbe.h"
#include "support/InProcessHost.h"
#include "support/TestEnv.h"

#include <msgbus/OutboxWriter.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <optional>

#include <unistd.h>

using namespace msgbus;
using namespace std::chrono_literals;

namespace {

std::string urlEncoded(const std::string& text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

/// Debian's prometheus on a free loopback port, scraping one target every second with the
/// shipped alert rules; its data in a private directory. Stopped (SIGKILL) with this object.
class PrometheusServer {
public:
    PrometheusServer(const std::string& dir, int target) : _port(test::freeLocalPort()) {
        const std::string config = dir + "/prometheus.yml";
        std::ofstream(config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                              << "rule_files:\n  - " << test::sourceDir()
                              << "/config/prometheus/alerts.yml\n"
                              << "scrape_configs:\n  - job_name: msgbus\n    static_configs:\n"
                              << "      - targets: ['127.0.0.1:" << target << "']\n";
        // Debian's package (./run deps installs it).
        const std::string binary = "/usr/bin/prometheus";
        CPPUNIT_ASSERT_MESSAGE(binary + " is missing: run ./run deps",
                               ::access(binary.c_str(), X_OK) == 0);
        _process = std::make_unique<test::HostProcess>(
            std::vector<std::string>{binary, "--config.file=" + config,
                                     "--storage.tsdb.path=" + dir + "/data",
                                     "--web.listen-address=127.0.0.1:" + std::to_string(_port)},
            dir + "/prometheus.log");
        const bool ready = test::waitUntil(
            [&] { return test::httpGet(_port, "/-/ready", 1s).status == 200; }, 30s);
        CPPUNIT_ASSERT_MESSAGE("prometheus did not start\n" + _process->logTail(), ready);
    }

    /// GET /api/v1/<path>, parsed; asserts status success.
    Poco::JSON::Object::Ptr api(const std::string& path) {
        auto reply = test::httpGet(_port, "/api/v1/" + path, 5s);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reply.body, 200, reply.status);
        auto object = Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reply.body, std::string("success"),
                                     object->getValue<std::string>("status"));
        return object;
    }

    /// The value of an instant query with one series, or nothing while there is none.
    std::optional<double> value(const std::string& expr) {
        auto result = api("query?query=" + urlEncoded(expr))->getObject("data")->getArray("result");
        if (result->size() != 1)
            return std::nullopt;
        return std::stod(result->getObject(0)->getArray("value")->getElement<std::string>(1));
    }

private:
    int _port;
    std::unique_ptr<test::HostProcess> _process;
};

} // namespace

class PrometheusTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PrometheusTest);
    CPPUNIT_TEST(testAlertRulesPassPromtool);
    CPPUNIT_TEST(testPrometheusScrapesTheHostAndTheShippedQueriesWork);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAlertRulesPassPromtool() {
        std::string output;
        const int rc = test::runCommand(
            "promtool check rules " + test::sourceDir() + "/config/prometheus/alerts.yml", &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("SUCCESS: 4 rules found") != std::string::npos);
    }

    void testPrometheusScrapesTheHostAndTheShippedQueriesWork() {
        test::InProcessHost world("prom");
        const int httpPort = test::freeLocalPort();
        world.start({{"outbox.workers", "1"}, {"http.port", std::to_string(httpPort)}});
        core::Host& host = *world.host;
        const auto& settings = world.settings;

        const int rows = 300;
        {
            auto session = host.database().session();
            core::Transaction tx(*session, host.database().dialect());
            OutboxWriter writer(*session, {settings.outbox.table, settings.outbox.maxBodyBytes});
            for (int i = 0; i < rows; ++i) {
                Message m("order.placed", R"({"n":)" + std::to_string(i) + "}");
                writer.write(m);
            }
            tx.commit();
        }
        CPPUNIT_ASSERT(test::waitUntil(
            [&] { return host.metrics().confirmed.load() == static_cast<std::uint64_t>(rows); },
            60s));

        PrometheusServer prometheus(world.dir, httpPort);
        const bool scraped = test::waitUntil(
            [&] {
                return prometheus.value("msgbus_outbox_confirmed_total") == rows &&
                       prometheus.value("msgbus_outbox_pending") == 0.0;
            },
            30s, 500ms);
        CPPUNIT_ASSERT_MESSAGE("prometheus never saw the run's counts", scraped);
        CPPUNIT_ASSERT(prometheus.value("msgbus_outbox_published_total") == rows);
        CPPUNIT_ASSERT(prometheus.value("msgbus_ready") == 1.0);
        CPPUNIT_ASSERT(prometheus.value("msgbus_failed_total") == 0.0);

        // The shipped rules are loaded (and none fires on a healthy run).
        auto groups = prometheus.api("rules")->getObject("data")->getArray("groups");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), groups->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), groups->getObject(0)->getArray("rules")->size());
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(0),
            prometheus.api("alerts")->getObject("data")->getArray("alerts")->size());

        // Every query of the dashboard evaluates on real data.
        std::ifstream file(test::sourceDir() + "/config/grafana/msgbus-dashboard.json");
        std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        auto panels =
            Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>()->getArray("panels");
        CPPUNIT_ASSERT(panels->size() >= 8);
        for (std::size_t p = 0; p < panels->size(); ++p) {
            auto targets = panels->getObject(static_cast<unsigned>(p))->getArray("targets");
            for (std::size_t t = 0; t < targets->size(); ++t)
                prometheus.api("query?query=" +
                               urlEncoded(targets->getObject(static_cast<unsigned>(t))
                                              ->getValue<std::string>("expr")));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PrometheusTest);
