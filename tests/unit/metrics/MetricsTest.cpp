// Metrics: the counters' summary line and the Prometheus text /metrics serves, and the broker
// nodes /ready names.
#include "core/metrics/Metrics.h"

#include "core/tracing/SpanExporter.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::BrokerNodesInUse;
using msgbus::core::Metrics;
using msgbus::core::Span;
using msgbus::core::SpanExporter;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string counterBlock(const std::string& name, const std::string& help, std::uint64_t value) {
    return "# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
           std::to_string(value) + "\n";
}

} // namespace

class MetricsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsTest);
    CPPUNIT_TEST(testSummaryNamesTheSixCountersInOrder);
    CPPUNIT_TEST(testAddCountsOneOrN);
    CPPUNIT_TEST(testPrometheusRendersEveryCounterWithHelpAndType);
    CPPUNIT_TEST(testPrometheusRendersTheInboxSettleFramesAndLockConflictRerunsPerConsumer);
    CPPUNIT_TEST(testPrometheusLeavesSpanCountersOutWithoutTracing);
    CPPUNIT_TEST(testPrometheusShowsSpanCountersWhenTracing);
    CPPUNIT_TEST(testPrometheusEndsWithTheThreeHistograms);
    CPPUNIT_TEST(testOkTimesAreSteadyClockMillis);
    CPPUNIT_TEST(testNoBrokerNodesDescribeAsEmpty);
    CPPUNIT_TEST(testBrokerNodesAreListedByWorkerName);
    CPPUNIT_TEST(testWorkerWithoutAConnectionIsLeftOut);
    CPPUNIT_TEST(testLaterNodeReplacesTheWorkersEarlierOne);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSummaryNamesTheSixCountersInOrder() {
        Metrics m;
        m.published = 1;
        m.confirmed = 2;
        m.consumed = 3;
        m.deduplicated = 4;
        m.retried = 5;
        m.failed = 6;
        m.reloads = 7; // not part of the summary
        CPPUNIT_ASSERT_EQUAL(
            std::string("published=1 confirmed=2 consumed=3 deduplicated=4 retried=5 failed=6"),
            m.summary());
    }

    void testAddCountsOneOrN() {
        Metrics m;
        Metrics::add(m.published);
        Metrics::add(m.published, 41);
        Metrics::add(m.failed, 0);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(42), m.published.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), m.failed.load());
    }

    void testPrometheusRendersEveryCounterWithHelpAndType() {
        Metrics m;
        m.published = 10;
        m.confirmed = 9;
        m.consumed = 8;
        m.deduplicated = 7;
        m.retried = 6;
        m.failed = 5;
        m.reloads = 4;
        m.reloadFailures = 3;
        m.givenBack = 2;
        m.doorbellRings = 12;
        m.doorbellIgnored = 11;
        m.doorbellWakeups = 1;
        const std::string text = m.prometheus();
        const std::string expected =
            counterBlock("msgbus_outbox_published_total", "Outbox messages published to the broker",
                         10) +
            counterBlock("msgbus_outbox_confirmed_total", "Outbox messages confirmed and deleted",
                         9) +
            counterBlock("msgbus_inbox_consumed_total", "Deliveries handled and committed", 8) +
            counterBlock("msgbus_inbox_deduplicated_total", "Deliveries skipped as duplicates", 7) +
            counterBlock("msgbus_inbox_given_back_total",
                         "Deliveries given back to the broker (requeued)", 2) +
            counterBlock("msgbus_retried_total", "Retry rows written", 6) +
            counterBlock("msgbus_failed_total", "Rows moved to the failed table", 5) +
            counterBlock("msgbus_inbox_parked_total",
                         "Deliveries parked behind a failed message of their partition key", 0) +
            counterBlock("msgbus_inbox_released_total",
                         "Parked messages run after their key's head", 0) +
            counterBlock("msgbus_plugin_reloads_total", "Successful plugin reloads", 4) +
            counterBlock("msgbus_plugin_reload_failures_total",
                         "Failed plugin reloads (old set kept)", 3) +
            counterBlock("msgbus_doorbell_rings_total",
                         "Doorbell rings received for this host's outbox", 12) +
            counterBlock("msgbus_doorbell_ignored_total",
                         "Datagrams on the doorbell that were no ring for this host's outbox", 11) +
            counterBlock("msgbus_doorbell_wakeups_total", "Relay wake-ups caused by doorbell rings",
                         1);
        CPPUNIT_ASSERT_EQUAL(expected, text.substr(0, expected.size()));
    }

    void testPrometheusRendersTheInboxSettleFramesAndLockConflictRerunsPerConsumer() {
        Metrics m;
        m.settleFrames = 7;
        m.lockConflictReruns.add("orders");
        m.lockConflictReruns.add("billing", 2);
        m.lockConflictReruns.add("orders");
        const std::string text = m.prometheus();
        CPPUNIT_ASSERT(contains(text, counterBlock("msgbus_inbox_settle_frames_total",
                                                   "basic.ack and basic.nack frames sent by the "
                                                   "inbox consumers",
                                                   7)));
        CPPUNIT_ASSERT(
            contains(text, "# HELP msgbus_inbox_lock_conflict_reruns_total Inbox batches run again "
                           "after losing a lock conflict\n"
                           "# TYPE msgbus_inbox_lock_conflict_reruns_total counter\n"
                           "msgbus_inbox_lock_conflict_reruns_total{consumer=\"billing\"} 2\n"
                           "msgbus_inbox_lock_conflict_reruns_total{consumer=\"orders\"} 2\n"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), m.lockConflictReruns.value("shipping"));
    }

    void testPrometheusLeavesSpanCountersOutWithoutTracing() {
        const Metrics m;
        CPPUNIT_ASSERT(!contains(m.prometheus(), "msgbus_spans_"));
    }

    void testPrometheusShowsSpanCountersWhenTracing() {
        // Capacity 0: every span is dropped at once, nothing is ever sent.
        SpanExporter::Options options;
        options.endpoint = "http://127.0.0.1:4318/v1/traces";
        options.capacity = 0;
        SpanExporter exporter(options);
        exporter.record(Span{});
        exporter.record(Span{});
        Metrics m;
        m.spans = &exporter;
        const std::string text = m.prometheus();
        CPPUNIT_ASSERT(contains(text, counterBlock("msgbus_spans_exported_total",
                                                   "Spans sent to the OTLP endpoint", 0)));
        CPPUNIT_ASSERT(
            contains(text, counterBlock("msgbus_spans_dropped_total",
                                        "Spans dropped (queue full, export failed)", 2)));
    }

    void testPrometheusEndsWithTheThreeHistograms() {
        Metrics m;
        m.relayLatency.observe(30);
        m.inboxLag.observe(3);
        m.inboxLag.observe(4);
        const std::string text = m.prometheus();
        const auto relay = text.find("# TYPE msgbus_relay_latency_seconds histogram\n");
        const auto batch = text.find("# TYPE msgbus_inbox_batch_duration_seconds histogram\n");
        const auto lag = text.find("# TYPE msgbus_inbox_lag_seconds histogram\n");
        CPPUNIT_ASSERT(relay != std::string::npos);
        CPPUNIT_ASSERT(batch > relay && batch != std::string::npos);
        CPPUNIT_ASSERT(lag > batch && lag != std::string::npos);
        CPPUNIT_ASSERT(contains(text, "msgbus_relay_latency_seconds_count 1\n"));
        CPPUNIT_ASSERT(contains(text, "msgbus_inbox_batch_duration_seconds_count 0\n"));
        CPPUNIT_ASSERT(contains(text, "msgbus_inbox_lag_seconds_count 2\n"));
        CPPUNIT_ASSERT(contains(text, "# HELP msgbus_inbox_lag_seconds Producer commit "
                                      "(x-created-at) to handler commit, per message\n"));
    }

    void testOkTimesAreSteadyClockMillis() {
        Metrics m;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), m.databaseOkAt.load());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), m.brokerOkAt.load());
        const auto before = Metrics::steadyMillis();
        m.databaseOk();
        m.brokerOk();
        const auto after = Metrics::steadyMillis();
        CPPUNIT_ASSERT(m.databaseOkAt.load() >= before && m.databaseOkAt.load() <= after);
        CPPUNIT_ASSERT(m.brokerOkAt.load() >= before && m.brokerOkAt.load() <= after);
    }

    void testNoBrokerNodesDescribeAsEmpty() {
        CPPUNIT_ASSERT_EQUAL(std::string(), BrokerNodesInUse().describe());
    }

    void testBrokerNodesAreListedByWorkerName() {
        BrokerNodesInUse nodes;
        nodes.set("relay 0", "10.0.0.2:5672 vhost '/'");
        nodes.set("consumer orders", "10.0.0.1:5672 vhost '/'");
        CPPUNIT_ASSERT_EQUAL(
            std::string("consumer orders on 10.0.0.1:5672 vhost '/', relay 0 on 10.0.0.2:5672 "
                        "vhost '/'"),
            nodes.describe());
    }

    void testWorkerWithoutAConnectionIsLeftOut() {
        BrokerNodesInUse nodes;
        nodes.set("consumer orders", "");
        nodes.set("relay 0", "10.0.0.2:5672 vhost '/'");
        CPPUNIT_ASSERT_EQUAL(std::string("relay 0 on 10.0.0.2:5672 vhost '/'"), nodes.describe());
        nodes.set("relay 0", "");
        CPPUNIT_ASSERT_EQUAL(std::string(), nodes.describe());
    }

    void testLaterNodeReplacesTheWorkersEarlierOne() {
        BrokerNodesInUse nodes;
        nodes.set("relay 0", "rabbit-1:5672 vhost '/'");
        nodes.set("relay 0", "rabbit-2:5672 vhost '/'");
        CPPUNIT_ASSERT_EQUAL(std::string("relay 0 on rabbit-2:5672 vhost '/'"), nodes.describe());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsTest);
