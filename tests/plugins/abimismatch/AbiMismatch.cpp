// Fixture: a plugin built against a newer SDK ABI than the host's. The ABI block is written by
// hand (not with MSGBUS_PLUGIN) with sdkAbi = MSGBUS_SDK_ABI + 1. The host must refuse it before
// running any of its code: the init and uninit hooks create the files named by the environment
// variables MSGBUS_TEST_INIT_MARKER and MSGBUS_TEST_UNINIT_MARKER, which the test checks never
// appear.
#include <msgbus/Plugin.h>

#include <cstdio>
#include <cstdlib>

namespace {

class AbiMismatchHandler : public msgbus::Handler {
public:
    std::vector<std::string> messageNames() const override { return {"test.abi"}; }
    void handle(const msgbus::Message&, msgbus::HandlerContext&) override {}
};

void touch(const char* variable) {
    if (const char* path = std::getenv(variable))
        if (std::FILE* file = std::fopen(path, "w"))
            std::fclose(file);
}

} // namespace

extern "C" POCO_LIBRARY_API const MsgbusPluginAbi* msgbusPluginAbi() {
    static const MsgbusPluginAbi abi{
        MSGBUS_PLUGIN_ABI_MAGIC,     MSGBUS_SDK_ABI + 1,     POCO_VERSION,
        __GXX_ABI_VERSION,           _GLIBCXX_USE_CXX11_ABI, sizeof(msgbus::Message),
        sizeof(msgbus::WireMessage), "abimismatch",          "1.0.0"};
    return &abi;
}

void pocoInitializeLibrary() {
    touch("MSGBUS_TEST_INIT_MARKER");
}

void pocoUninitializeLibrary() {
    touch("MSGBUS_TEST_UNINIT_MARKER");
}

MSGBUS_HANDLERS(AbiMismatchHandler)
