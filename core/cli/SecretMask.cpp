#include "core/cli/SecretMask.h"

#include <algorithm>

namespace msgbus::core::cli {

void SecretMask::add(const std::string& secret) {
    if (secret.size() < kMinimumLength ||
        std::find(_secrets.begin(), _secrets.end(), secret) != _secrets.end())
        return;
    _secrets.push_back(secret);
    // Longest first: a secret that contains another is masked whole.
    std::sort(_secrets.begin(), _secrets.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string SecretMask::operator()(std::string text) const {
    for (const auto& secret : _secrets)
        for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
            text.replace(at, secret.size(), "***");
    return text;
}

} // namespace msgbus::core::cli
