#pragma once

#include <string>
#include <vector>

namespace msgbus::core::cli {

/// Replaces the secrets of a configuration (database and broker passwords) by "***" in any text
/// before it is shown. The texts msgbus builds never quote a password, but a check also shows
/// what drivers and brokers say, and those are not ours to vouch for.
///
/// Secrets shorter than kMinimumLength are not masked: masking every "ab" would garble each
/// line, and such a password is no secret anyway. Value type.
class SecretMask {
public:
    static constexpr std::size_t kMinimumLength = 4;

    void add(const std::string& secret);
    std::string operator()(std::string text) const;

private:
    std::vector<std::string> _secrets;
};

} // namespace msgbus::core::cli
