// The key catalogue against the code that reads it and against the reference file
// (config/msgbus.properties), so that neither the documentation nor the catalogue can drift
// from what the host reads.
#include "core/config/ConfigKeys.h"
#include "core/config/ConfigReader.h"
#include "core/config/Settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/Util/SystemConfiguration.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef MSGBUS_REFERENCE_CONFIG
#error "MSGBUS_REFERENCE_CONFIG must name config/msgbus.properties (tests/CMakeLists.txt)"
#endif

using msgbus::core::ConfigKeys;
using msgbus::core::ConfigReader;
using msgbus::core::Settings;

namespace {

/// A key the reference file documents: a `key = value` line, or a commented example
/// (`#   key = value`) of a key that is unset by default or named per queue, consumer or plugin.
struct Documented {
    std::string key;
    std::string value;
    bool example = false;
    int line = 0;

    std::string where() const { return "msgbus.properties:" + std::to_string(line) + " " + key; }
};

std::vector<Documented> referenceFile() {
    std::ifstream in(MSGBUS_REFERENCE_CONFIG);
    if (!in)
        throw std::runtime_error(std::string("cannot read ") + MSGBUS_REFERENCE_CONFIG);
    // A commented example starts with a dotted key (prose never does); what follows two
    // spaces and a '#' is a remark on it, not part of the value.
    static const std::regex example(R"(^#\s*([a-z][a-z0-9_-]*(\.[A-Za-z0-9_-]+)+)\s*=\s*(.*)$)");
    static const std::regex setting(R"(^([^#\s][^=]*?)\s*=\s*(.*)$)");
    static const std::regex remark(R"(\s+#.*$)");
    std::vector<Documented> out;
    std::string text;
    for (int line = 1; std::getline(in, text); ++line) {
        std::smatch m;
        if (std::regex_match(text, m, example))
            out.push_back({m[1], std::regex_replace(m[3].str(), remark, ""), true, line});
        else if (std::regex_match(text, m, setting))
            out.push_back({m[1], m[2], false, line});
    }
    return out;
}

/// The documented keys as a properties file; skip: an index of lines to leave out.
std::string propertiesOf(const std::vector<Documented>& keys, bool withExamples,
                         std::size_t skip = std::string::npos) {
    std::string out;
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (i != skip && (withExamples || !keys[i].example))
            out += keys[i].key + " = " + keys[i].value + "\n";
    return out;
}

/// Loaded as the host loads a file: over the system configuration (${system.env.*}).
Settings load(const std::string& properties, std::vector<std::string>* warnings = nullptr) {
    std::istringstream in(properties);
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config(new Poco::Util::LayeredConfiguration);
    config->add(new Poco::Util::PropertyFileConfiguration(in), "file", 0, false);
    config->add(new Poco::Util::SystemConfiguration, "system", 100, false);
    return Settings::load(*config, warnings);
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines)
        out += "\n  " + line;
    return out;
}

} // namespace

class ConfigKeysTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConfigKeysTest);
    CPPUNIT_TEST(testPatternsMatchOneSegmentPerNameAndAPluginsWholeSubtree);
    CPPUNIT_TEST(testReadingAKeyOutsideTheCatalogueIsABug);
    CPPUNIT_TEST(testACataloguedKeyThatIsNotReadIsStillWarnedAbout);
    CPPUNIT_TEST(testEveryDocumentedKeyIsCatalogued);
    CPPUNIT_TEST(testEveryCataloguedKeyIsDocumented);
    CPPUNIT_TEST(testTheReferenceFileAndItsExamplesAreReadWithoutUnknownKeys);
    CPPUNIT_TEST(testEveryDefaultTheReferenceFileGivesIsTheCodes);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        // The reference file takes its passwords from the environment.
        ::setenv("MSGBUS_DB_PASSWORD", "db-secret", 1);
        ::setenv("MSGBUS_AMQP_PASSWORD", "amqp-secret", 1);
    }

    void testPatternsMatchOneSegmentPerNameAndAPluginsWholeSubtree() {
        CPPUNIT_ASSERT(ConfigKeys::matches("outbox.table", "outbox.table"));
        CPPUNIT_ASSERT(!ConfigKeys::matches("outbox.table", "outbox.tables"));
        CPPUNIT_ASSERT(!ConfigKeys::matches("outbox.table", "outbox.table.x"));
        CPPUNIT_ASSERT(!ConfigKeys::matches("outbox.table", "outbox"));
        CPPUNIT_ASSERT(ConfigKeys::matches("amqp.queue.<name>.type", "amqp.queue.orders.type"));
        CPPUNIT_ASSERT(!ConfigKeys::matches("amqp.queue.<name>.type", "amqp.queue.a.b.type"));
        CPPUNIT_ASSERT(ConfigKeys::matches("plugin.<id>.config.*", "plugin.r.config.route.a.b"));
        CPPUNIT_ASSERT(!ConfigKeys::matches("plugin.<id>.config.*", "plugin.r.library"));
        CPPUNIT_ASSERT(ConfigKeys::find("amqp.queue.q.argument.x-max-length") != nullptr);
        CPPUNIT_ASSERT(ConfigKeys::find("outbox.batchsize") == nullptr);
    }

    void testReadingAKeyOutsideTheCatalogueIsABug() {
        Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
        ConfigReader read(*map);
        CPPUNIT_ASSERT_EQUAL(std::string("x"), read.string("tracing.service_name", "x"));
        CPPUNIT_ASSERT_THROW(read.string("outbox.not_a_key", "x"), std::logic_error);
    }

    void testACataloguedKeyThatIsNotReadIsStillWarnedAbout() {
        // A consumer missing from inbox.consumers: its keys match the catalogue, but nothing
        // reads them, which is worth a warning.
        std::vector<std::string> warnings;
        load("db.connector = SQLite\ndb.connection = /tmp/x.db\n"
             "amqp.url = amqp://127.0.0.1:5672/%2f\ninbox.consumer.lost.queue = q\n",
             &warnings);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), warnings.size());
        CPPUNIT_ASSERT(warnings[0].find("'inbox.consumer.lost.queue'") != std::string::npos);
    }

    void testEveryDocumentedKeyIsCatalogued() {
        const auto keys = referenceFile();
        CPPUNIT_ASSERT(keys.size() > 40);
        std::vector<std::string> unknown;
        for (const auto& key : keys)
            if (!ConfigKeys::find(key.key))
                unknown.push_back(key.where());
        CPPUNIT_ASSERT_MESSAGE("documented, but msgbus reads no such key:" + joined(unknown),
                               unknown.empty());
    }

    void testEveryCataloguedKeyIsDocumented() {
        const auto keys = referenceFile();
        std::vector<std::string> missing;
        for (const auto& entry : ConfigKeys::all()) {
            bool documented = false;
            for (const auto& key : keys)
                documented = documented || ConfigKeys::matches(entry.pattern, key.key);
            if (!documented)
                missing.push_back(std::string(entry.pattern));
        }
        CPPUNIT_ASSERT_MESSAGE("read by msgbus, missing from msgbus.properties:" + joined(missing),
                               missing.empty());
    }

    void testTheReferenceFileAndItsExamplesAreReadWithoutUnknownKeys() {
        // No warning means the loader asked for every documented key (the ones of the examples
        // too, with their queue, consumer and plugin in place), and reading succeeded means
        // each key it asked for is catalogued.
        const auto keys = referenceFile();
        for (bool withExamples : {false, true}) {
            std::vector<std::string> warnings;
            load(propertiesOf(keys, withExamples), &warnings);
            CPPUNIT_ASSERT_MESSAGE("unknown keys in msgbus.properties:" + joined(warnings),
                                   warnings.empty());
        }
    }

    void testEveryDefaultTheReferenceFileGivesIsTheCodes() {
        // A line giving the default changes nothing: loading without it gives the same
        // Settings. Only keys with a default qualify; the others' values are examples.
        const auto keys = referenceFile();
        const Settings documented = load(propertiesOf(keys, false));
        std::vector<std::string> wrong;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const auto* entry = ConfigKeys::find(keys[i].key);
            if (keys[i].example || !entry || !entry->hasDefault)
                continue;
            if (!(load(propertiesOf(keys, false, i)) == documented))
                wrong.push_back(keys[i].where() + " = " + keys[i].value);
        }
        CPPUNIT_ASSERT_MESSAGE("msgbus.properties gives a value that is not the default:" +
                                   joined(wrong),
                               wrong.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigKeysTest);
