// Secrets inside URLs are never printed: `msgbus stats`, `check` and `run` with a password in
// the user info and an API key in the query of amqp.management.url and tracing.otlp.endpoint,
// over https and http, to a server that answers and to one that is away: the secrets appear in
// no output, and the servers that answer get the credentials (https verified against the
// configured CA file). http:// with user info to a host that is not loopback is refused.
#include "core/tracing/SpanExporter.h"
#include "support/HostProcess.h"
#include "support/HttpProbe.h"
#include "support/LocalHttpServer.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>

using namespace msgbus;
using namespace std::chrono_literals;

namespace {

// Each secret holds this, so one search finds any of them.
const std::string kMark = "S3cr3t";
const std::string kManagementPassword = "mgmt-" + kMark + "-pw";
const std::string kOtlpPassword = "otlp-" + kMark + "-pw";
const std::string kApiKey = "key-" + kMark + "-q";

/// scheme://user:password@127.0.0.1:port/path?api_key=...
std::string urlWithSecrets(const std::string& scheme, const std::string& user,
                           const std::string& password, int port, const std::string& path) {
    return scheme + "://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port) + path +
           "?api_key=" + kApiKey;
}

struct Bus : test::ScratchBus {
    Bus() : ScratchBus("secrets") {
        open("SQLite",
             {{"amqp.queue." + queue + ".bindings", exchange + ":order.#"},
              {"plugin.poison.library", "libmsgbus-test-poison.so"},
              {"inbox.consumers", "poison"},
              {"inbox.consumer.poison.queue", queue},
              {"inbox.consumer.poison.plugins", "poison"}},
             "order.#");
        dir = test::tempDir("secrets");
    }

    /// `msgbus <command>` on the bus's properties with extra ones; stdout and stderr.
    std::string command(const std::string& command, const std::map<std::string, std::string>& extra,
                        int* rc) {
        auto all = properties;
        for (const auto& [key, value] : extra)
            all[key] = value;
        const std::string config = test::writeProperties(dir + "/config.properties", all);
        std::string output;
        // Bounded: a `run` that was not refused would never end by itself.
        *rc = test::runCommand(
            "timeout 60 " + test::msgbusBinary() + " " + command + " --config " + config, &output);
        return output;
    }

    std::string dir;
};

/// An HTTPS and an HTTP server that answer, and a port where nothing listens.
struct Servers {
    struct Target {
        std::string scheme;
        int port;
        test::LocalHttpServer* server; ///< null: nothing answers
    };

    test::SelfSignedCertificate certificate;
    test::LocalHttpServer https{certificate};
    test::LocalHttpServer http;
    int away = test::freeLocalPort();

    /// https and http, each reachable and not.
    std::vector<Target> targets() {
        return {{"https", https.port(), &https},
                {"https", away, nullptr},
                {"http", http.port(), &http},
                {"http", away, nullptr}};
    }
};

void assertNoSecret(const std::string& what, const std::string& output) {
    CPPUNIT_ASSERT_MESSAGE(what + " shows a secret:\n" + output,
                           output.find(kMark) == std::string::npos);
}

} // namespace

class SecretsInUrlsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SecretsInUrlsTest);
    CPPUNIT_TEST(testStatsShowsNoSecretOfTheManagementUrl);
    CPPUNIT_TEST(testManagementApiOverHttpsRefusesAnUntrustedCertificate);
    CPPUNIT_TEST(testCheckShowsNoSecretOfEitherUrl);
    CPPUNIT_TEST(testRunLogsNoSecretOfTheOtlpEndpoint);
    CPPUNIT_TEST(testHttpWithCredentialsToAnotherHostIsRefusedWithoutShowingThem);
    CPPUNIT_TEST(testSpansReachAnHttpsCollectorWithTheirCredentials);
    CPPUNIT_TEST_SUITE_END();

public:
    void testStatsShowsNoSecretOfTheManagementUrl() {
        Bus bus;
        Servers servers;
        for (const auto& target : servers.targets()) {
            const std::string url =
                urlWithSecrets(target.scheme, "mgmt", kManagementPassword, target.port,
                               target.scheme == "https" ? "/" : "");
            int rc = -1;
            const std::string output =
                bus.command("stats",
                            {{"amqp.management.url", url},
                             {"amqp.management.ca_file", servers.certificate.certFile}},
                            &rc);
            assertNoSecret("stats with " + url, output);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
            if (target.server) {
                // It answered, over TLS for https, and was asked as the URL's user.
                CPPUNIT_ASSERT_MESSAGE(output,
                                       output.find("1 ready, 0 unacked") != std::string::npos);
                CPPUNIT_ASSERT_EQUAL(std::string("mgmt"), target.server->lastUser());
                CPPUNIT_ASSERT_EQUAL(kManagementPassword, target.server->lastPassword());
            } else {
                CPPUNIT_ASSERT_MESSAGE(output, output.find("management API:") != std::string::npos);
                CPPUNIT_ASSERT_MESSAGE(output,
                                       output.find("127.0.0.1:" + std::to_string(target.port)) !=
                                           std::string::npos);
            }
        }
    }

    void testManagementApiOverHttpsRefusesAnUntrustedCertificate() {
        Bus bus;
        test::SelfSignedCertificate certificate;
        test::LocalHttpServer https(certificate);
        // The system store does not know the test's certificate.
        int rc = -1;
        const std::string output =
            bus.command("stats",
                        {{"amqp.management.url",
                          urlWithSecrets("https", "mgmt", kManagementPassword, https.port(), "/")}},
                        &rc);
        assertNoSecret("stats", output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("management API:") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(output, output.find("1 ready, 0 unacked") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(), https.lastPassword());
    }

    void testCheckShowsNoSecretOfEitherUrl() {
        Bus bus;
        test::SelfSignedCertificate certificate;
        const int away = test::freeLocalPort();
        for (const std::string scheme : {"https", "http"}) {
            int rc = -1;
            const std::string output =
                bus.command("check",
                            {{"amqp.management.url",
                              urlWithSecrets(scheme, "mgmt", kManagementPassword, away, "/")},
                             {"amqp.management.ca_file", certificate.certFile},
                             {"tracing.otlp.endpoint",
                              urlWithSecrets(scheme, "otlp", kOtlpPassword, away, "/v1/traces")},
                             {"tracing.otlp.ca_file", certificate.certFile}},
                            &rc);
            assertNoSecret("check", output);
            CPPUNIT_ASSERT_MESSAGE(output, output.find("configuration") != std::string::npos);
        }
    }

    void testRunLogsNoSecretOfTheOtlpEndpoint() {
        Bus bus;
        Servers servers;
        const auto& certificate = servers.certificate;
        for (const auto& target : servers.targets()) {
            const auto& scheme = target.scheme;
            const int port = target.port;
            auto all = bus.properties;
            all["tracing.otlp.endpoint"] =
                urlWithSecrets(scheme, "otlp", kOtlpPassword, port, "/v1/traces");
            all["tracing.otlp.ca_file"] = certificate.certFile;
            all["amqp.management.url"] =
                urlWithSecrets(scheme, "mgmt", kManagementPassword, port, "/");
            all["amqp.management.ca_file"] = certificate.certFile;
            const std::string config = test::writeProperties(bus.dir + "/run.properties", all);
            test::HostProcess host(test::HostProcess::msgbusRun(config),
                                   bus.dir + "/run-" + scheme + std::to_string(port) + ".log");
            const bool started = test::waitUntil(
                [&] { return host.logContains("tracing: spans go to") || !host.running(); }, 30s);
            host.signal(SIGTERM);
            const auto status = host.waitExit(30s);
            assertNoSecret("run", host.log());
            CPPUNIT_ASSERT_MESSAGE(host.logTail(), started && status && status->success());
            CPPUNIT_ASSERT_MESSAGE(host.logTail(),
                                   host.logContains("otlp:***@127.0.0.1:" + std::to_string(port) +
                                                    "/v1/traces?api_key=***"));
        }
    }

    void testHttpWithCredentialsToAnotherHostIsRefusedWithoutShowingThem() {
        Bus bus;
        // .invalid never resolves: the refusal comes before any connection.
        const std::string management =
            "http://mgmt:" + kManagementPassword + "@mq.invalid:15672/?api_key=" + kApiKey;
        const std::string otlp =
            "http://otlp:" + kOtlpPassword + "@otel.invalid:4318/v1/traces?api_key=" + kApiKey;
        for (const auto& [key, url] : std::vector<std::pair<std::string, std::string>>{
                 {"amqp.management.url", management}, {"tracing.otlp.endpoint", otlp}}) {
            for (const std::string command : {"stats", "check", "run"}) {
                int rc = -1;
                const std::string output = bus.command(command, {{key, url}}, &rc);
                assertNoSecret(command + " with " + key, output);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 2, rc);
                CPPUNIT_ASSERT_MESSAGE(output, output.find("in the clear") != std::string::npos);
                CPPUNIT_ASSERT_MESSAGE(output, output.find(key) != std::string::npos);
            }
            // Allowed by its key, it loads (and the refusal was the only objection).
            const std::string allow = key.substr(0, key.rfind('.')) + ".allow_insecure_http";
            int rc = -1;
            const std::string output = bus.command("check", {{key, url}, {allow, "true"}}, &rc);
            assertNoSecret("check allowing http", output);
            CPPUNIT_ASSERT_MESSAGE(output, output.find("in the clear") == std::string::npos);
        }
    }

    void testSpansReachAnHttpsCollectorWithTheirCredentials() {
        test::SelfSignedCertificate certificate;
        test::LocalHttpServer collector(certificate);
        core::Span span;
        span.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        span.spanId = core::newSpanId();
        span.name = "handle";
        core::SpanExporter::Options options;
        options.endpoint =
            urlWithSecrets("https", "otlp", kOtlpPassword, collector.port(), "/v1/traces");
        options.http.caFile = certificate.certFile;
        std::uint64_t exported = 0;
        {
            core::SpanExporter exporter(options);
            exporter.record(span);
            test::waitUntil([&] { return exporter.exported() == 1; }, 10s);
            exported = exporter.exported();
        }
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), exported);
        CPPUNIT_ASSERT_EQUAL(std::string("/v1/traces?api_key=" + kApiKey), collector.lastTarget());
        CPPUNIT_ASSERT_EQUAL(std::string("otlp"), collector.lastUser());
        CPPUNIT_ASSERT_EQUAL(kOtlpPassword, collector.lastPassword());

        // Without the CA file the certificate is not trusted: nothing is sent, the span dropped.
        options.http.caFile.clear();
        const int before = collector.requests();
        {
            core::SpanExporter untrusting(options);
            untrusting.record(span);
            CPPUNIT_ASSERT(test::waitUntil([&] { return untrusting.dropped() == 1; }, 10s));
        }
        CPPUNIT_ASSERT_EQUAL(before, collector.requests());

        // A trusted certificate for another name: the host name check refuses it, on loopback
        // too.
        test::SelfSignedCertificate otherName("collector.example");
        test::LocalHttpServer impostor(otherName);
        options.endpoint =
            urlWithSecrets("https", "otlp", kOtlpPassword, impostor.port(), "/v1/traces");
        options.http.caFile = otherName.certFile;
        {
            core::SpanExporter misnamed(options);
            misnamed.record(span);
            CPPUNIT_ASSERT(test::waitUntil([&] { return misnamed.dropped() == 1; }, 10s));
        }
        CPPUNIT_ASSERT_EQUAL(0, impostor.requests());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SecretsInUrlsTest);
