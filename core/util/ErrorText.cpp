#include "core/util/ErrorText.h"

#include <Poco/Exception.h>

namespace msgbus::core {

std::string errorText(const std::exception& error) {
    if (const auto* poco = dynamic_cast<const Poco::Exception*>(&error))
        return poco->displayText();
    return error.what();
}

} // namespace msgbus::core
