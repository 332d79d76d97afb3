#include "core/amqp/AmqpUrl.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

using msgbus::core::amqp::AmqpUrl;

class AmqpUrlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AmqpUrlTest);
    CPPUNIT_TEST(testParsesEveryPart);
    CPPUNIT_TEST(testDefaultsToGuestPort5672AndRootVhost);
    CPPUNIT_TEST(testPercentDecodesUserPasswordAndVhost);
    CPPUNIT_TEST(testSlashPathMeansRootVhost);
    CPPUNIT_TEST(testRawAtSignInPasswordIsAccepted);
    CPPUNIT_TEST(testParsesIpv6Host);
    CPPUNIT_TEST(testRedactedHidesPassword);
    CPPUNIT_TEST(testRejectsOtherSchemes);
    CPPUNIT_TEST(testRejectsBadHostAndPort);
    CPPUNIT_TEST(testRejectsRawSlashInVhostAndQueries);
    CPPUNIT_TEST(testErrorsNeverEchoThePassword);
    CPPUNIT_TEST(testRejectsNulBytes);
    CPPUNIT_TEST(testRawSlashInPasswordIsRefusedWithoutQuotingIt);
    CPPUNIT_TEST(testMalformedUrlsNeverQuoteAnyPartOfTheUserInfo);
    CPPUNIT_TEST(testTextRoundTripsCredentialsWithReservedCharacters);
    CPPUNIT_TEST(testWithCredentialsReplacesUserAndPassword);
    CPPUNIT_TEST_SUITE_END();

public:
    void testParsesEveryPart() {
        AmqpUrl url = AmqpUrl::parse("amqp://bus:s3cret@mq.example.com:5673/orders");
        CPPUNIT_ASSERT_EQUAL(std::string("bus"), url.user());
        CPPUNIT_ASSERT_EQUAL(std::string("s3cret"), url.password());
        CPPUNIT_ASSERT_EQUAL(std::string("mq.example.com"), url.host());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5673), url.port());
        CPPUNIT_ASSERT_EQUAL(std::string("orders"), url.vhost());
        CPPUNIT_ASSERT_EQUAL(std::string("mq.example.com:5673"), url.endpoint());
    }

    void testDefaultsToGuestPort5672AndRootVhost() {
        AmqpUrl url = AmqpUrl::parse("amqp://localhost");
        CPPUNIT_ASSERT_EQUAL(std::string("guest"), url.user());
        CPPUNIT_ASSERT_EQUAL(std::string("guest"), url.password());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5672), url.port());
        CPPUNIT_ASSERT_EQUAL(std::string("/"), url.vhost());
        // A user without a password keeps the default password, as rabbitmq-c does.
        AmqpUrl userOnly = AmqpUrl::parse("amqp://bus@localhost:5672");
        CPPUNIT_ASSERT_EQUAL(std::string("bus"), userOnly.user());
        CPPUNIT_ASSERT_EQUAL(std::string("guest"), userOnly.password());
        // An explicitly empty password stays empty.
        CPPUNIT_ASSERT_EQUAL(std::string(""), AmqpUrl::parse("amqp://bus:@h").password());
    }

    void testPercentDecodesUserPasswordAndVhost() {
        AmqpUrl url = AmqpUrl::parse("amqp://us%40er:p%3Aa%2Fs%25s@h:1/%2f");
        CPPUNIT_ASSERT_EQUAL(std::string("us@er"), url.user());
        CPPUNIT_ASSERT_EQUAL(std::string("p:a/s%s"), url.password());
        CPPUNIT_ASSERT_EQUAL(std::string("/"), url.vhost());
        CPPUNIT_ASSERT_EQUAL(std::string("/staging"),
                             AmqpUrl::parse("amqp://h/%2Fstaging").vhost());
    }

    void testSlashPathMeansRootVhost() {
        CPPUNIT_ASSERT_EQUAL(std::string("/"), AmqpUrl::parse("amqp://h:5672/").vhost());
        CPPUNIT_ASSERT_EQUAL(std::string("/"), AmqpUrl::parse("amqp://h:5672").vhost());
    }

    void testRawAtSignInPasswordIsAccepted() {
        AmqpUrl url = AmqpUrl::parse("amqp://bus:p@ss@h");
        CPPUNIT_ASSERT_EQUAL(std::string("p@ss"), url.password());
        CPPUNIT_ASSERT_EQUAL(std::string("h"), url.host());
    }

    void testParsesIpv6Host() {
        AmqpUrl url = AmqpUrl::parse("amqp://u:p@[::1]:5999/v");
        CPPUNIT_ASSERT_EQUAL(std::string("::1"), url.host());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5999), url.port());
        CPPUNIT_ASSERT_EQUAL(std::string("[::1]:5999"), url.endpoint());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5672), AmqpUrl::parse("amqp://[fe80::1]").port());
    }

    void testRedactedHidesPassword() {
        AmqpUrl url = AmqpUrl::parse("amqp://bus:topsecret@127.0.0.1:56729/%2f");
        CPPUNIT_ASSERT_EQUAL(std::string("amqp://bus:***@127.0.0.1:56729/%2f"), url.redacted());
        CPPUNIT_ASSERT_EQUAL(std::string("amqp://guest:***@h:5672/orders"),
                             AmqpUrl::parse("amqp://h/orders").redacted());
    }

    void testRejectsOtherSchemes() {
        assertRejected("http://h", "amqp://");
        assertRejected("amqps://h", "amqps");
        assertRejected("h:5672", "amqp://");
        assertRejected("", "amqp://");
    }

    void testRejectsBadHostAndPort() {
        assertRejected("amqp://", "host is empty");
        assertRejected("amqp://u:p@:5672/", "host is empty");
        assertRejected("amqp://h:0", "port is not a number between 1 and 65535");
        assertRejected("amqp://h:65536", "port is not a number between 1 and 65535");
        // No '@': what reads as a port may be a password; it is never quoted.
        try {
            AmqpUrl::parse("amqp://bus:90210417xyz");
            CPPUNIT_FAIL("a port that is not a number was accepted");
        } catch (const msgbus::InvalidArgument& e) {
            assertNoFragmentOf("90210417xyz", e.what());
        }
        try {
            AmqpUrl::parse("amqp://bus:123/sec/ret");
            CPPUNIT_FAIL("a vhost with a raw '/' was accepted");
        } catch (const msgbus::InvalidArgument& e) {
            assertNoFragmentOf("sec/ret", e.what());
        }
        assertRejected("amqp://h:99999999999999999999", "port");
        assertRejected("amqp://h:ab", "port is not a number");
        assertRejected("amqp://h:", "empty port");
        assertRejected("amqp://[::1", "IPv6");
        assertRejected("amqp://:p@h", "user name is empty");
    }

    void testRejectsRawSlashInVhostAndQueries() {
        assertRejected("amqp://h/a/b", "%2f");
        assertRejected("amqp://h/v?heartbeat=10", "query");
        assertRejected("amqp://h/%zz", "vhost");
        assertRejected("amqp://h/%4", "vhost");
        assertRejected("amqp://h/%-1", "vhost");
        assertRejected("amqp://h/%+f", "vhost");
        assertRejected("amqp://h/%2", "vhost");
    }

    void testErrorsNeverEchoThePassword() {
        try {
            AmqpUrl::parse("amqp://bus:hunter2%zz@h/");
            CPPUNIT_FAIL("accepted a bad percent-encoding in the password");
        } catch (const msgbus::InvalidArgument& e) {
            std::string what = e.what();
            CPPUNIT_ASSERT(what.find("password") != std::string::npos);
            CPPUNIT_ASSERT(what.find("hunter2") == std::string::npos);
        }
        for (const char* bad : {"amqp://bus:hunter2@h:0/", "amqp://bus:hunter2@h/a/b",
                                "amqp://bus:hunter2@/", "amqp://bus:hunter2@h/?x=1"}) {
            try {
                AmqpUrl::parse(bad);
                CPPUNIT_FAIL(std::string("accepted ") + bad);
            } catch (const msgbus::InvalidArgument& e) {
                CPPUNIT_ASSERT(std::string(e.what()).find("hunter2") == std::string::npos);
            }
        }
    }

    void testRejectsNulBytes() {
        assertRejected("amqp://bus:a%00b@h", "NUL");
        assertRejected("amqp://h/v%00", "NUL");
    }

    void testRawSlashInPasswordIsRefusedWithoutQuotingIt() {
        // Was: "port 's3cr' is not a number", the authority ending at the password's '/'.
        const std::string secret = "s3cr/et+9x==";
        std::string what = errorOf("amqp://u:" + secret + "@127.0.0.1:5672/%2f");
        assertContains(what, "must be percent-encoded");
        assertContains(what, "amqp.user and amqp.password");
        assertNoFragmentOf(secret, what);
    }

    void testMalformedUrlsNeverQuoteAnyPartOfTheUserInfo() {
        const std::string user = "bXq%zzK7w";
        const std::string secret = "s3cr/et+9x==";
        for (const std::string& url : std::vector<std::string>{
                 "amqp://u:" + secret + "@h:5672/%2f",
                 "amqp://u:" + secret,           // no '@': "u" reads as the host, the rest as port
                 "amqp://u:" + secret + "@h:x/", // a bad port after the user info
                 "amqp://u:s3cr?et+9x==@h",      // '?' in the password
                 "amqp://u:s3cr#et+9x==@h",      // '#' in the password
                 "amqp://u:s3cr%zet+9x==@h",     // bad percent-encoding in the password
                 "u:" + secret + "@h",           // no scheme
                 "amqp:u:" + secret + "@h",      // a scheme without "//"
                 "amqp://u:" + secret + "@[::1", // an unterminated IPv6 host
                 "amqp://u:" + secret + "@/",    // no host
             })
            assertNoFragmentOf(secret, errorOf(url));
        for (const std::string& url :
             {"amqp://" + user + ":p@h", "amqp://" + user + "@h:99999", user + ":p@h"})
            assertNoFragmentOf(user, errorOf(url));
    }

    void testTextRoundTripsCredentialsWithReservedCharacters() {
        AmqpUrl url("mq.example.com", 5673, "/", "us@er:1", "s3cr/et+9x==:@%?# ");
        AmqpUrl back = AmqpUrl::parse(url.text());
        CPPUNIT_ASSERT_EQUAL(url.user(), back.user());
        CPPUNIT_ASSERT_EQUAL(url.password(), back.password());
        CPPUNIT_ASSERT_EQUAL(url.host(), back.host());
        CPPUNIT_ASSERT_EQUAL(url.port(), back.port());
        CPPUNIT_ASSERT_EQUAL(url.vhost(), back.vhost());
        AmqpUrl v6 = AmqpUrl::parse(AmqpUrl("::1", 1, "v", "u", "p").text());
        CPPUNIT_ASSERT_EQUAL(std::string("[::1]:1"), v6.endpoint());
    }

    void testWithCredentialsReplacesUserAndPassword() {
        AmqpUrl url = AmqpUrl::parse("amqp://h:5999/v").withCredentials("bus", "a/b:c@d");
        CPPUNIT_ASSERT_EQUAL(std::string("bus"), url.user());
        CPPUNIT_ASSERT_EQUAL(std::string("a/b:c@d"), url.password());
        CPPUNIT_ASSERT_EQUAL(std::string("h:5999"), url.endpoint());
        CPPUNIT_ASSERT_EQUAL(std::string("v"), url.vhost());
    }

private:
    static std::string errorOf(const std::string& url) {
        try {
            AmqpUrl::parse(url);
        } catch (const msgbus::InvalidArgument& e) {
            return e.what();
        }
        CPPUNIT_FAIL("accepted '" + url + "'");
        return "";
    }

    static void assertContains(const std::string& text, const std::string& part) {
        CPPUNIT_ASSERT_MESSAGE("'" + text + "' lacks '" + part + "'",
                               text.find(part) != std::string::npos);
    }

    /// No piece of secret of 3 characters or more appears in text.
    static void assertNoFragmentOf(const std::string& secret, const std::string& text) {
        for (std::size_t i = 0; i + 3 <= secret.size(); ++i)
            CPPUNIT_ASSERT_MESSAGE("'" + text + "' quotes part of the secret",
                                   text.find(secret.substr(i, 3)) == std::string::npos);
    }

    static void assertRejected(const std::string& url, const std::string& expected) {
        try {
            AmqpUrl::parse(url);
        } catch (const msgbus::InvalidArgument& e) {
            std::string what = e.what();
            CPPUNIT_ASSERT_MESSAGE("'" + url + "' gave '" + what + "', expected '" + expected +
                                       "' in it",
                                   what.find(expected) != std::string::npos);
            return;
        }
        CPPUNIT_FAIL("accepted '" + url + "'");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpUrlTest);
