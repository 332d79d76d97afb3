// HttpEndpoint: http:// and https:// accepted, credentials never sent in the clear to another
// machine unless allowed, and every refusal shows the URL redacted.
#include "core/util/HttpEndpoint.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::HttpClientOptions;
using msgbus::core::HttpEndpoint;
using msgbus::core::isLoopbackHost;

namespace {

/// The text HttpEndpoint(url, options) throws; fails when it accepts url.
std::string refusal(const std::string& url, const HttpClientOptions& options = {}) {
    try {
        HttpEndpoint endpoint(url, options);
    } catch (const msgbus::InvalidArgument& e) {
        return e.what();
    }
    CPPUNIT_FAIL("accepted " + url);
    return "";
}

} // namespace

class HttpEndpointTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HttpEndpointTest);
    CPPUNIT_TEST(testHttpAndHttpsAreAccepted);
    CPPUNIT_TEST(testOtherSchemesAndMissingHostsAreRefused);
    CPPUNIT_TEST(testUserInfoIsSplitAndDecoded);
    CPPUNIT_TEST(testCredentialsOverHttpToAnotherHostAreRefusedUnlessAllowed);
    CPPUNIT_TEST(testCredentialsOverHttpToLoopbackAreAccepted);
    CPPUNIT_TEST(testRefusalsNeverShowTheSecrets);
    CPPUNIT_TEST(testMissingCaFileIsRefused);
    CPPUNIT_TEST(testLoopbackHostsAreOnlyLiteralOnes);
    CPPUNIT_TEST_SUITE_END();

public:
    void testHttpAndHttpsAreAccepted() {
        HttpEndpoint plain("http://127.0.0.1:15672/rabbit/", {});
        CPPUNIT_ASSERT(!plain.secure());
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), plain.host());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(15672), plain.port());
        CPPUNIT_ASSERT_EQUAL(std::string("/rabbit/"), plain.path());
        HttpEndpoint secure("https://mq.example/v1/traces?api_key=k", {});
        CPPUNIT_ASSERT(secure.secure());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(443), secure.port());
        CPPUNIT_ASSERT_EQUAL(std::string("/v1/traces?api_key=k"), secure.pathEtc());
        CPPUNIT_ASSERT_EQUAL(std::string("https://mq.example/v1/traces?api_key=***"),
                             secure.redacted());
        CPPUNIT_ASSERT(!secure.hasUserInfo());
    }

    void testOtherSchemesAndMissingHostsAreRefused() {
        for (const std::string url : {"ftp://h/", "h:80", "http:///x", "", "https://"})
            CPPUNIT_ASSERT_MESSAGE(url,
                                   refusal(url).find("http:// or https://") != std::string::npos);
    }

    void testUserInfoIsSplitAndDecoded() {
        HttpEndpoint endpoint("https://mg%3Amt:p%40ss:w@mq.example:15671", {});
        CPPUNIT_ASSERT(endpoint.hasUserInfo());
        CPPUNIT_ASSERT_EQUAL(std::string("mg:mt"), endpoint.user());
        CPPUNIT_ASSERT_EQUAL(std::string("p@ss:w"), endpoint.password());
        CPPUNIT_ASSERT_EQUAL(std::string("https://mg%3Amt:***@mq.example:15671"),
                             endpoint.redacted());
    }

    void testCredentialsOverHttpToAnotherHostAreRefusedUnlessAllowed() {
        HttpClientOptions options;
        options.allowInsecureKey = "amqp.management.allow_insecure_http";
        const std::string what = refusal("http://mgmt:pw@mq.example:15672", options);
        CPPUNIT_ASSERT_MESSAGE(what, what.find("in the clear") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(what, what.find("use https://") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(what, what.find("amqp.management.allow_insecure_http = true") !=
                                         std::string::npos);
        options.allowInsecureHttp = true;
        CPPUNIT_ASSERT_NO_THROW(HttpEndpoint("http://mgmt:pw@mq.example:15672", options));
        // Without user info nothing of ours is in the URL.
        CPPUNIT_ASSERT_NO_THROW(HttpEndpoint("http://mq.example:15672", {}));
        CPPUNIT_ASSERT_NO_THROW(HttpEndpoint("https://mgmt:pw@mq.example:15671", {}));
    }

    void testCredentialsOverHttpToLoopbackAreAccepted() {
        for (const std::string url : {"http://u:p@127.0.0.1:15672", "http://u:p@localhost",
                                      "http://u:p@[::1]:80", "http://u:p@127.8.9.10/"})
            CPPUNIT_ASSERT_NO_THROW_MESSAGE(url, HttpEndpoint(url, {}));
    }

    void testRefusalsNeverShowTheSecrets() {
        HttpClientOptions options;
        options.caFile = "/nonexistent/ca.pem";
        for (const std::string url :
             {"http://mgmt:S3CRET@mq.example:15672/?api_key=K3Y", "http://mgmt:S3CRET",
              "http://mgmt:S3CRET/x", "ftp://mgmt:S3CRET@h/?api_key=K3Y",
              "https://mgmt:S3CRET@h/?api_key=K3Y", "http://mgmt:S3/CRET@h"}) {
            const std::string what = refusal(url, options);
            CPPUNIT_ASSERT_MESSAGE(what, what.find("S3") == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find("K3Y") == std::string::npos);
        }
    }

    void testMissingCaFileIsRefused() {
        HttpClientOptions options;
        options.caFile = "/nonexistent/ca.pem";
        const std::string what = refusal("https://h:15671", options);
        CPPUNIT_ASSERT_MESSAGE(what, what.find("/nonexistent/ca.pem") != std::string::npos);
        // Plain http never reads it.
        CPPUNIT_ASSERT_NO_THROW(HttpEndpoint("http://h:15672", options));
    }

    void testLoopbackHostsAreOnlyLiteralOnes() {
        CPPUNIT_ASSERT(isLoopbackHost("localhost"));
        CPPUNIT_ASSERT(isLoopbackHost("127.0.0.1"));
        CPPUNIT_ASSERT(isLoopbackHost("::1"));
        CPPUNIT_ASSERT(!isLoopbackHost("10.0.0.1"));
        CPPUNIT_ASSERT(!isLoopbackHost("localhost.example.com"));
        CPPUNIT_ASSERT(!isLoopbackHost("127.0.0.1.nip.io"));
        CPPUNIT_ASSERT(!isLoopbackHost(""));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpEndpointTest);
