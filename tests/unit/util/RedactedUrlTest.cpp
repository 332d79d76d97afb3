// redactedUrl: the password of the user info and every query value masked, whatever the text.
#include "core/util/RedactedUrl.h"

#include <cppunit/extensions/HelperMacros.h>

#include <vector>

using msgbus::core::redactedUrl;

namespace {

/// redactedUrl(url) holds none of the secrets.
void assertHides(const std::string& url, std::initializer_list<std::string> secrets) {
    const std::string shown = redactedUrl(url);
    for (const auto& secret : secrets)
        CPPUNIT_ASSERT_MESSAGE(url + " -> " + shown, shown.find(secret) == std::string::npos);
}

} // namespace

class RedactedUrlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RedactedUrlTest);
    CPPUNIT_TEST(testPasswordIsMaskedAndUserKept);
    CPPUNIT_TEST(testEveryQueryValueIsMasked);
    CPPUNIT_TEST(testUrlWithoutSecretsIsUnchanged);
    CPPUNIT_TEST(testRawSpecialCharactersInThePasswordStayInsideTheMask);
    CPPUNIT_TEST(testPortThatIsNotANumberIsMasked);
    CPPUNIT_TEST(testFragmentIsMasked);
    CPPUNIT_TEST(testTextWithoutSchemeIsReadAsAuthority);
    CPPUNIT_TEST(testIpv6HostsAndPortsStay);
    CPPUNIT_TEST(testAnyTextGivesAnAnswer);
    CPPUNIT_TEST_SUITE_END();

public:
    void testPasswordIsMaskedAndUserKept() {
        CPPUNIT_ASSERT_EQUAL(std::string("https://mgmt:***@mq.example:15671/"),
                             redactedUrl("https://mgmt:s3cret@mq.example:15671/"));
        CPPUNIT_ASSERT_EQUAL(std::string("amqp://bus:***@127.0.0.1:5672/%2f"),
                             redactedUrl("amqp://bus:p%40ss@127.0.0.1:5672/%2f"));
        // A user alone carries no password.
        CPPUNIT_ASSERT_EQUAL(std::string("http://mgmt@h:15672"),
                             redactedUrl("http://mgmt@h:15672"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://:***@h"), redactedUrl("http://:pw@h"));
    }

    void testEveryQueryValueIsMasked() {
        CPPUNIT_ASSERT_EQUAL(std::string("http://c:4318/v1/traces?api_key=***&tenant=***&empty="),
                             redactedUrl("http://c:4318/v1/traces?api_key=K3Y&tenant=t1&empty="));
        CPPUNIT_ASSERT_EQUAL(std::string("http://c/x?***&a=***;b=***"),
                             redactedUrl("http://c/x?T0KEN&a=1;b=2"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://u:***@c/?k=***"),
                             redactedUrl("http://u:p@c/?k=v"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://c/?"), redactedUrl("http://c/?"));
    }

    void testUrlWithoutSecretsIsUnchanged() {
        for (const std::string url : {"http://127.0.0.1:15672", "https://mq:15671/rabbit/",
                                      "http://c:4318/v1/traces", "amqp://h:5672/orders", ""})
            CPPUNIT_ASSERT_EQUAL(url, redactedUrl(url));
    }

    void testRawSpecialCharactersInThePasswordStayInsideTheMask() {
        // '@' and '/' unencoded: the user info ends at the last '@' before a query.
        CPPUNIT_ASSERT_EQUAL(std::string("http://u:***@h:1/p"),
                             redactedUrl("http://u:a@b/c@h:1/p"));
        assertHides("http://u:pa/ss@host/x", {"pa", "ss@"});
        assertHides("http://u:pa?ss@host/x", {"pa", "ss"});
        assertHides("http://u:pa#ss@host/x", {"pa", "ss"});
        assertHides("https://us:er:pa:ss@host", {"er", "pa:ss"});
        // An '@' in the path: conservative, the part before it goes whole.
        CPPUNIT_ASSERT_EQUAL(std::string("http://***@b"), redactedUrl("http://host/p@b"));
    }

    void testPortThatIsNotANumberIsMasked() {
        // A user info that lost its '@' reads as host:port.
        CPPUNIT_ASSERT_EQUAL(std::string("http://mgmt:***"), redactedUrl("http://mgmt:s3cret"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://mgmt:***/api"),
                             redactedUrl("http://mgmt:s3cret/api"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://h:***"), redactedUrl("http://h:12ab"));
    }

    void testFragmentIsMasked() {
        CPPUNIT_ASSERT_EQUAL(std::string("http://h/p#***"), redactedUrl("http://h/p#access=tok"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://h/p?a=***#***"), redactedUrl("http://h/p?a=1#x"));
    }

    void testTextWithoutSchemeIsReadAsAuthority() {
        CPPUNIT_ASSERT_EQUAL(std::string("u:***@h:80"), redactedUrl("u:secret@h:80"));
        CPPUNIT_ASSERT_EQUAL(std::string("collector:4318"), redactedUrl("collector:4318"));
        // Not a scheme (a digit first): still read from the start.
        assertHides("1x://u:secret@h", {"secret"});
    }

    void testIpv6HostsAndPortsStay() {
        CPPUNIT_ASSERT_EQUAL(std::string("http://u:***@[::1]:15672/api?x=***"),
                             redactedUrl("http://u:pw@[::1]:15672/api?x=1"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://[::1]"), redactedUrl("http://[::1]"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://[::1]:***"), redactedUrl("http://[::1]:pw"));
    }

    void testAnyTextGivesAnAnswer() {
        const std::vector<std::string> texts{"://",
                                             "@",
                                             "?",
                                             "#",
                                             ":",
                                             "[",
                                             "[:",
                                             "a@b@c?d#e",
                                             "http://",
                                             "http://@",
                                             "http://:@?&=;#",
                                             std::string("\0@\xff", 3)};
        for (const auto& text : texts)
            CPPUNIT_ASSERT_NO_THROW(redactedUrl(text));
        assertHides("x://a:SECRET@?q=SECRET2", {"SECRET"});
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedactedUrlTest);
