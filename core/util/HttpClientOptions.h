#pragma once

#include <string>

namespace msgbus::core {

/// How an HTTP client of msgbus (the management API, the OTLP exporter) may reach its server.
struct HttpClientOptions {
    /// PEM file of the CAs that sign the server's certificate, for https://; empty: the system
    /// store (/etc/ssl/certs).
    std::string caFile;
    /// Lets http:// carry credentials in its user info to a host that is not loopback (they
    /// then cross the network in the clear).
    bool allowInsecureHttp = false;
    /// The configuration key that sets allowInsecureHttp, named in the refusal; may be empty.
    std::string allowInsecureKey;
    bool operator==(const HttpClientOptions&) const = default;
};

} // namespace msgbus::core
