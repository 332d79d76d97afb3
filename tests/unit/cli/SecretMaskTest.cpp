// Secrets masked in whatever a check shows, short ones left alone.
#include "core/cli/SecretMask.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::cli::SecretMask;

class SecretMaskTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SecretMaskTest);
    CPPUNIT_TEST(testEveryOccurrenceIsMasked);
    CPPUNIT_TEST(testSeveralSecrets);
    CPPUNIT_TEST(testShortSecretsAreNotMasked);
    CPPUNIT_TEST(testTextWithoutSecretsIsUnchanged);
    CPPUNIT_TEST(testSecretsWithSpecialCharacters);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryOccurrenceIsMasked() {
        SecretMask mask;
        mask.add("hunter22");
        const std::string out = mask("login hunter22 failed (hunter22)");
        CPPUNIT_ASSERT(out.find("hunter22") == std::string::npos);
        CPPUNIT_ASSERT(out.find("***") != std::string::npos);
    }

    void testSeveralSecrets() {
        SecretMask mask;
        mask.add("db-secret");
        mask.add("mq-secret");
        const std::string out = mask("db-secret and mq-secret");
        CPPUNIT_ASSERT(out.find("secret") == std::string::npos);
    }

    void testShortSecretsAreNotMasked() {
        SecretMask mask;
        mask.add("ab");
        CPPUNIT_ASSERT_EQUAL(std::string("tab and abc"), mask("tab and abc"));
    }

    void testTextWithoutSecretsIsUnchanged() {
        SecretMask mask;
        mask.add("p@ssw0rd");
        CPPUNIT_ASSERT_EQUAL(std::string("nothing here"), mask("nothing here"));
        CPPUNIT_ASSERT_EQUAL(std::string(), mask(""));
    }

    void testSecretsWithSpecialCharacters() {
        SecretMask mask;
        mask.add("a/b:c@d+e=f%");
        const std::string out = mask("url amqp://u:a/b:c@d+e=f%@host");
        CPPUNIT_ASSERT(out.find("a/b:c@d+e=f%") == std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SecretMaskTest);
