#include "core/amqp/AmqpNodes.h"

#include <msgbus/Error.h>

#include <Poco/String.h>

#include <random>

namespace msgbus::core::amqp {

AmqpNodes AmqpNodes::parse(const std::string& list) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto comma = list.find(',', start);
        parts.push_back(Poco::trim(list.substr(start, comma - start)));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
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
