// Broker credentials that come from a secret store: any character works through amqp.user /
// amqp.password (and percent-encoded in amqp.url), and a URL that carries an unencoded secret
// stops the host at start-up, naming amqp.url, without printing the secret.
#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/Settings.h"
#include "support/AmqpTestSupport.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

using msgbus::core::amqp::AmqpConnection;
using msgbus::core::amqp::AmqpUrl;

namespace {

// Every character that has a meaning in a URL's user info: / : @ + = % (and '%41', which a
// URL decoder would turn into 'A').
const std::string kSecret = "s3cr/et:+9x==@%41";
const char* kSecretVariable = "MSGBUS_IT_AMQP_SECRET";

/// No piece of secret of 3 characters or more appears in text.
void assertNoFragmentOf(const std::string& secret, const std::string& text) {
    for (std::size_t i = 0; i + 3 <= secret.size(); ++i)
        CPPUNIT_ASSERT_MESSAGE("the output quotes part of the secret: " + text,
                               text.find(secret.substr(i, 3)) == std::string::npos);
}

} // namespace

class AmqpCredentialsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AmqpCredentialsTest);
    CPPUNIT_TEST(testSecretWithReservedCharactersLogsInThroughAmqpUserAndPassword);
    CPPUNIT_TEST(testUnencodedSecretInUrlStopsStartUpNamingTheKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        _dir = msgbus::test::tempDir("amqpcreds");
        ::setenv(kSecretVariable, kSecret.c_str(), 1);
        AmqpUrl broker = AmqpUrl::parse(msgbus::test::amqpUrl());
        _endpoint = broker.endpoint();
    }

    void tearDown() override {
        ::unsetenv(kSecretVariable);
        std::error_code ignored;
        std::filesystem::remove_all(_dir, ignored);
    }

    void testSecretWithReservedCharactersLogsInThroughAmqpUserAndPassword() {
        msgbus::test::BrokerUser user(msgbus::test::uniqueName("secretuser"), kSecret);
        auto props =
            properties({{"amqp.url", "amqp://" + _endpoint + "/%2f"},
                        {"amqp.user", user.name()},
                        {"amqp.password", std::string("${system.env.") + kSecretVariable + "}"}});

        // In process: the settings hand the connection the secret unchanged.
        auto settings = msgbus::core::Settings::load(*msgbus::test::configFrom(props));
        {
            AmqpConnection connection(AmqpUrl::parse(settings.amqp.url), {});
            CPPUNIT_ASSERT(connection.channelOpen());
        }
        // The same secret percent-encoded in amqp.url works too.
        AmqpUrl encoded =
            AmqpUrl::parse("amqp://" + _endpoint + "/%2f").withCredentials(user.name(), kSecret);
        {
            AmqpConnection connection(AmqpUrl::parse(encoded.text()), {});
            CPPUNIT_ASSERT(connection.channelOpen());
        }

        // The binary, as an operator runs it: `setup --topology-only` logs in to the broker.
        std::string config = msgbus::test::writeProperties(_dir + "/msgbus.properties", props);
        std::string output;
        int rc = msgbus::test::runCommand(
            msgbus::test::msgbusBinary() + " setup --topology-only --config " + config, &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        assertNoFragmentOf(kSecret, output);
    }

    void testUnencodedSecretInUrlStopsStartUpNamingTheKey() {
        // Was: `run` started, then a worker thread died on "port 's3cr' is not a number".
        auto props = properties({{"amqp.url", std::string("amqp://bus:${system.env.") +
                                                  kSecretVariable + "}@" + _endpoint + "/%2f"}});
        std::string config = msgbus::test::writeProperties(_dir + "/msgbus.properties", props);
        for (const char* command : {"run", "setup --topology-only"}) {
            std::string output;
            int rc = msgbus::test::runCommand(
                msgbus::test::msgbusBinary() + " " + command + " --config " + config, &output);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 2, rc);
            CPPUNIT_ASSERT_MESSAGE(output, output.find("'amqp.url'") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(output, output.find("amqp.password") != std::string::npos);
            assertNoFragmentOf(kSecret, output);
        }
    }

private:
    std::map<std::string, std::string>
    properties(const std::map<std::string, std::string>& extra) const {
        auto props = msgbus::test::baseProperties("SQLite", _dir + "/bus.db", "ex", extra);
        props["plugins.runtime_dir"] = _dir + "/runtime";
        return props;
    }

    std::string _dir;
    std::string _endpoint;
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpCredentialsTest);
