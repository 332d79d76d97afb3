#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Formatter.h>
#include <Poco/PatternFormatter.h>

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

/// Log lines as text (logging.format = text): "<time> <level> [<logger>] <message>", with the
/// logger and the message passed through singleLineText, so that no text a peer sent (a message
/// id, a header, a plugin's error) can break the line or start one that looks like msgbus's.
/// Thread-safe as the channel calling it requires: format() keeps no state between calls.
class TextLogFormatter : public Poco::Formatter {
public:
    TextLogFormatter();
    void format(const Poco::Message& message, std::string& text) override;

private:
    Poco::AutoPtr<Poco::PatternFormatter> _pattern;
};

/// The named parameters a log message may carry for the JSON format.
struct LogFields {
    static constexpr const char* consumer = "consumer";
    static constexpr const char* messageId = "message_id";
    static constexpr const char* messageName = "message_name";
    static constexpr const char* traceId = "trace_id";
};

/// Sends every logger's output to stderr as text ("text", the default: TextLogFormatter) or as
/// JSON lines ("json": JsonLogFormatter), at level information. Applies to the loggers that exist
/// already too.
void configureLogging(const std::string& format);

} // namespace msgbus::core
