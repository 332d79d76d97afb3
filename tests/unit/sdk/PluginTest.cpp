// Plugin.h: the manifests MSGBUS_HANDLERS, MSGBUS_SERIALIZERS and MSGBUS_ROUTING_STRATEGIES
// export, built in-process through the very pocoBuildManifest<Name> functions the host's loader
// looks up after dlopen, and the ABI block MSGBUS_PLUGIN exports. Each macro defines an
// extern "C" function, so each is used once in the whole unit-test executable: here.
#include <msgbus/Plugin.h>

#include <Poco/Manifest.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>

namespace sdktest {

class FirstHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.first"}; }
    void handle(const msgbus::Message&, msgbus::HandlerContext&) override {}
};

class SecondHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.second"}; }
    void handle(const msgbus::Message&, msgbus::HandlerContext&) override {}
};

class OnlySerializer : public msgbus::Serializer {
public:
    msgbus::WireMessage encode(const msgbus::Message&) const override { return {}; }
    msgbus::Message decode(const msgbus::WireMessage&) const override {
        return msgbus::Message("test.decoded", "{}");
    }
};

// Twenty distinct classes from one template: more than the sixteen the macros must take.
template <int N> class Numbered : public msgbus::RoutingStrategy {
public:
    msgbus::Route route(const msgbus::Message&) const override {
        msgbus::Route route;
        route.routingKey = std::to_string(N);
        return route;
    }
};

} // namespace sdktest

using namespace sdktest;

MSGBUS_PLUGIN("unit", "9.8.7")
MSGBUS_HANDLERS(FirstHandler, sdktest::SecondHandler)
MSGBUS_SERIALIZERS(OnlySerializer)
MSGBUS_ROUTING_STRATEGIES(Numbered<1>, Numbered<2>, Numbered<3>, Numbered<4>, Numbered<5>,
                          Numbered<6>, Numbered<7>, Numbered<8>, Numbered<9>, Numbered<10>,
                          Numbered<11>, Numbered<12>, Numbered<13>, Numbered<14>, Numbered<15>,
                          Numbered<16>, Numbered<17>, Numbered<18>, Numbered<19>, Numbered<20>)

namespace {

template <class Base> std::set<std::string> namesOf(const Poco::Manifest<Base>& manifest) {
    std::set<std::string> names;
    for (auto it = manifest.begin(); it != manifest.end(); ++it)
        names.insert(it->name());
    return names;
}

template <class Base>
std::unique_ptr<Base> create(const Poco::Manifest<Base>& manifest, const std::string& name) {
    auto it = manifest.find(name);
    if (it == manifest.end())
        CPPUNIT_FAIL("the manifest has no class '" + name + "'");
    return std::unique_ptr<Base>(it->create());
}

} // namespace

class PluginTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginTest);
    CPPUNIT_TEST(testHandlersManifestHoldsEveryClassUnderItsWrittenName);
    CPPUNIT_TEST(testHandlersManifestCreatesEachClass);
    CPPUNIT_TEST(testManifestRefusesAnotherBaseClass);
    CPPUNIT_TEST(testSerializersManifestHoldsItsClass);
    CPPUNIT_TEST(testRoutingStrategiesManifestTakesTwentyClasses);
    CPPUNIT_TEST(testPluginMacroExportsTheAbiBlockOfThisBuild);
    CPPUNIT_TEST_SUITE_END();

public:
    void testHandlersManifestHoldsEveryClassUnderItsWrittenName() {
        Poco::Manifest<msgbus::Handler> manifest;
        CPPUNIT_ASSERT(pocoBuildManifestHandlers(&manifest));
        // As written in the macro call: the name plugin.<id>.classes selects a class by.
        CPPUNIT_ASSERT(namesOf(manifest) ==
                       std::set<std::string>({"FirstHandler", "sdktest::SecondHandler"}));
    }

    void testHandlersManifestCreatesEachClass() {
        Poco::Manifest<msgbus::Handler> manifest;
        CPPUNIT_ASSERT(pocoBuildManifestHandlers(&manifest));
        CPPUNIT_ASSERT_EQUAL(std::string("test.first"),
                             create(manifest, "FirstHandler")->messageNames().at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("test.second"),
                             create(manifest, "sdktest::SecondHandler")->messageNames().at(0));
    }

    void testManifestRefusesAnotherBaseClass() {
        // The loader relies on this: a manifest function given a manifest of another base class
        // fills nothing and says so, instead of inserting objects of the wrong type.
        Poco::Manifest<msgbus::Serializer> serializers;
        CPPUNIT_ASSERT(!pocoBuildManifestHandlers(&serializers));
        CPPUNIT_ASSERT_EQUAL(0, serializers.size());
        Poco::Manifest<msgbus::Handler> handlers;
        CPPUNIT_ASSERT(!pocoBuildManifestRoutingStrategies(&handlers));
        CPPUNIT_ASSERT_EQUAL(0, handlers.size());
    }

    void testSerializersManifestHoldsItsClass() {
        Poco::Manifest<msgbus::Serializer> manifest;
        CPPUNIT_ASSERT(pocoBuildManifestSerializers(&manifest));
        CPPUNIT_ASSERT(namesOf(manifest) == std::set<std::string>({"OnlySerializer"}));
        CPPUNIT_ASSERT_EQUAL(std::string("test.decoded"),
                             create(manifest, "OnlySerializer")->decode({}).name());
    }

    void testRoutingStrategiesManifestTakesTwentyClasses() {
        Poco::Manifest<msgbus::RoutingStrategy> manifest;
        CPPUNIT_ASSERT(pocoBuildManifestRoutingStrategies(&manifest));
        CPPUNIT_ASSERT_EQUAL(20, manifest.size());
        const msgbus::Message message("test.routed", "{}");
        for (int n = 1; n <= 20; ++n) {
            const std::string name = "Numbered<" + std::to_string(n) + ">";
            CPPUNIT_ASSERT_EQUAL(std::to_string(n),
                                 create(manifest, name)->route(message).routingKey);
        }
    }

    void testPluginMacroExportsTheAbiBlockOfThisBuild() {
        const MsgbusPluginAbi* abi = msgbusPluginAbi();
        CPPUNIT_ASSERT(abi != nullptr);
        CPPUNIT_ASSERT_EQUAL(MSGBUS_PLUGIN_ABI_MAGIC, abi->magic);
        CPPUNIT_ASSERT_EQUAL(MSGBUS_SDK_ABI, abi->sdkAbi);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(sizeof(msgbus::Message)), abi->messageSize);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(sizeof(msgbus::WireMessage)), abi->wireMessageSize);
        CPPUNIT_ASSERT_EQUAL(std::string("unit"), std::string(abi->name));
        CPPUNIT_ASSERT_EQUAL(std::string("9.8.7"), std::string(abi->version));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginTest);
