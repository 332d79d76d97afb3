#pragma once

#include <Poco/Formatter.h>

#include <string>

namespace msgbus::core {

/// Log lines as one JSON object each (logging.format = json), for log shippers:
///   {"time":"2026-11-26T03:12:45.123Z","level":"warning","logger":"msgbus.inbox",
///    "message":"...","consumer":"orders","message_id":"...","message_name":"...",
///    "trace_id":"..."}
/// The last four come from the Poco::Message's named parameters where the caller set them
/// (see LogFields). Text that is not valid UTF-8 is made valid (each bad byte becomes U+FFFD),
/// so every line parses.
class JsonLogFormatter : public Poco::Formatter {
public:
    void format(const Poco::Message& message, std::string& text) override;
};

/// The named parameters a log message may carry for the JSON format.
struct LogFields {
    static constexpr const char* consumer = "consumer";
    static constexpr const char* messageId = "message_id";
    static constexpr const char* messageName = "message_name";
    static constexpr const char* traceId = "trace_id";
};

/// Sends every logger's output to stderr as text ("text", the default: time, level, logger,
/// message) or as JSON lines ("json"), at level information. Applies to the loggers that exist
/// already too.
void configureLogging(const std::string& format);

} // namespace msgbus::core
