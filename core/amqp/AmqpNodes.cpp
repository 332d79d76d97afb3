#include "core/amqp/AmqpNodes.h"

#include <msgbus/Error.h>

#include <Poco/String.h>

#include <random>

namespace msgbus::core::amqp {

AmqpNodes AmqpNodes::parse(const std::string& list) {
    // A comma separates nodes only where the next URL begins, so that a ',' inside a URL
    // (a password written raw, as single URLs always allowed) keeps working.
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t comma = list.find(','); comma != std::string::npos;
         comma = list.find(',', comma + 1)) {
        const auto next = list.find_first_not_of(" \t", comma + 1);
        const bool nodeFollows = next == std::string::npos || list[next] == ',' ||
                                 list.compare(next, 7, "amqp://") == 0 ||
                                 list.compare(next, 8, "amqps://") == 0;
        if (!nodeFollows)
            continue;
        parts.push_back(Poco::trim(list.substr(start, comma - start)));
        start = comma + 1;
    }
    parts.push_back(Poco::trim(list.substr(start)));
    std::vector<AmqpUrl> urls;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string node = parts.size() == 1 ? std::string()
                                                   : "node " + std::to_string(i + 1) + " of " +
                                                         std::to_string(parts.size()) + ": ";
        if (parts[i].empty())
            throw InvalidArgument(node + "empty (two commas, or a comma at an end?)");
        try {
            urls.push_back(AmqpUrl::parse(parts[i]));
        } catch (const InvalidArgument& e) {
            // AmqpUrl's texts never quote user info: safe to pass on.
            throw InvalidArgument(node + e.what());
        }
    }
    return AmqpNodes(std::move(urls));
}

AmqpNodes::AmqpNodes(AmqpUrl url) : _urls{std::move(url)} {}

AmqpNodes::AmqpNodes(std::vector<AmqpUrl> urls) : _urls(std::move(urls)) {
    if (_urls.empty())
        throw InvalidArgument("no AMQP node given");
}

const AmqpUrl& AmqpNodes::next() {
    if (!_started) {
        _started = true;
        if (_urls.size() > 1) {
            std::random_device seed;
            _next = std::uniform_int_distribution<std::size_t>(0, _urls.size() - 1)(seed);
        }
    }
    const AmqpUrl& url = _urls[_next];
    _next = (_next + 1) % _urls.size();
    return url;
}

std::string AmqpNodes::endpoints() const {
    std::string out;
    for (const auto& url : _urls)
        out += (out.empty() ? "" : ", ") + url.endpoint();
    return out;
}

} // namespace msgbus::core::amqp
