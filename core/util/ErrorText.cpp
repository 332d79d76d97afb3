#include "core/util/ErrorText.h"

#include <Poco/Exception.h>

namespace msgbus::core {

std::string errorText(const std::exception& error) {
    if (const auto* poco = dynamic_cast<const Poco::Exception*>(&error))
        return poco->displayText();
    return error.what();
}

std::string currentErrorText() {
    try {
        throw;
    } catch (const std::exception& e) {
        return errorText(e);
    } catch (...) {
        return "an exception that is not a std::exception (thrown by plugin code?)";
    }
}

} // namespace msgbus::core
