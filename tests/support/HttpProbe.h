#pragma once

#include <chrono>
#include <string>

namespace msgbus::test {

struct HttpReply {
    int status = 0; ///< 0 when nothing answered
    std::string body;
};

/// GET http://127.0.0.1:<port><path>, giving up after timeout (then status stays 0 and the body
/// says why).
HttpReply httpGet(int port, const std::string& path,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// A loopback TCP port that was free a moment ago (for a host's http.port).
int freeLocalPort();

} // namespace msgbus::test
