#include "core/cli/CommandLine.h"

#include <algorithm>

namespace msgbus::core {

CommandLine::CommandLine(const std::vector<std::string>& args,
                         const std::vector<std::string>& valueFlags,
                         const std::vector<std::string>& switches) {
    auto contains = [](const std::vector<std::string>& v, const std::string& s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.rfind("--", 0) != 0 || arg == "--") {
            _positional.push_back(arg);
            continue;
        }
        std::string flag = arg.substr(2);
        std::optional<std::string> inlineValue;
        if (auto eq = flag.find('='); eq != std::string::npos) {
            inlineValue = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
        }
        if (contains(switches, flag)) {
            if (inlineValue)
                throw UsageError("--" + flag + " takes no value");
            _values.emplace(flag, "");
        } else if (contains(valueFlags, flag)) {
            if (inlineValue) {
                _values.emplace(flag, *inlineValue);
            } else {
                if (i + 1 >= args.size())
                    throw UsageError("--" + flag + " needs a value");
                _values.emplace(flag, args[++i]);
            }
        } else {
            throw UsageError("unknown option --" + flag);
        }
    }
}

std::optional<std::string> CommandLine::value(const std::string& flag) const {
    auto it = _values.find(flag);
    if (it == _values.end())
        return std::nullopt;
    return it->second;
}

std::vector<std::string> CommandLine::values(const std::string& flag) const {
    std::vector<std::string> out;
    auto [begin, end] = _values.equal_range(flag);
    for (auto it = begin; it != end; ++it)
        out.push_back(it->second);
    return out;
}

long long CommandLine::integer(const std::string& flag, long long fallback) const {
    auto v = value(flag);
    if (!v)
        return fallback;
    try {
        std::size_t used = 0;
        long long n = std::stoll(*v, &used);
        if (used != v->size() || n < 0)
            throw std::invalid_argument("");
        return n;
    } catch (const std::exception&) {
        throw UsageError("--" + flag + ": '" + *v + "' is not a non-negative integer");
    }
}

} // namespace msgbus::core
