#pragma once

#include <exception>
#include <string>

namespace msgbus::core {

/// The full text of an exception for logs and failed rows: Poco's displayText() (its what() is
/// only the class name, "MySQL"), else what().
std::string errorText(const std::exception& error);

/// errorText() of the exception being handled; call only inside a catch block (catch (...)).
std::string currentErrorText();

} // namespace msgbus::core
