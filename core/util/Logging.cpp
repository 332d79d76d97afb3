#include "core/util/Logging.h"

#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/PatternFormatter.h>

#include <iostream>

namespace msgbus::core {
namespace {

// Alike on purpose: one case per Poco priority, so that -Wswitch names any level left out.
const char* levelName(Poco::Message::Priority priority) {
    switch (priority) {
    case Poco::Message::PRIO_FATAL:
        return "fatal";
    case Poco::Message::PRIO_CRITICAL:
        return "critical";
    case Poco::Message::PRIO_ERROR:
        return "error";
    case Poco::Message::PRIO_WARNING:
        return "warning";
    case Poco::Message::PRIO_NOTICE:
        return "notice";
    case Poco::Message::PRIO_INFORMATION:
        return "information";
    case Poco::Message::PRIO_DEBUG:
        return "debug";
    case Poco::Message::PRIO_TRACE:
        return "trace";
    }
    return "information";
}

void field(std::string& text, const char* name, const std::string& value) {
    text += ",\"";
    text += name;
    text += "\":";
    text += json::quote(lossyUtf8(value));
}

} // namespace

void JsonLogFormatter::format(const Poco::Message& message, std::string& text) {
    text += "{\"time\":";
    text +=
        json::quote(Poco::DateTimeFormatter::format(message.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ"));
    field(text, "level", levelName(message.getPriority()));
    field(text, "logger", message.getSource());
    field(text, "message", message.getText());
    for (const char* name :
         {LogFields::consumer, LogFields::messageId, LogFields::messageName, LogFields::traceId})
        if (message.has(name))
            field(text, name, message.get(name));
    text += "}";
}

TextLogFormatter::TextLogFormatter()
    : _pattern(new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p [%s] %t")) {}

void TextLogFormatter::format(const Poco::Message& message, std::string& text) {
    Poco::Message safe(message);
    safe.setSource(singleLineText(message.getSource()));
    safe.setText(singleLineText(message.getText()));
    _pattern->format(safe, text);
}

void configureLogging(const std::string& format) {
    Poco::AutoPtr<Poco::Formatter> formatter;
    if (format == "json")
        formatter = new JsonLogFormatter;
    else
        formatter = new TextLogFormatter;
    Poco::AutoPtr<Poco::FormattingChannel> channel(
        new Poco::FormattingChannel(formatter, new Poco::ConsoleChannel(std::cerr)));
    // The root first: loggers made later copy its channel and level, and setChannel("") below
    // only reaches loggers that exist (the root too only once something asked for it).
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
    // By name "" = every logger made before this call as well (a logger copies its parent's
    // channel when it is created, and keeps it).
    Poco::Logger::setChannel("", channel);
    Poco::Logger::setLevel("", Poco::Message::PRIO_INFORMATION);
}

} // namespace msgbus::core
