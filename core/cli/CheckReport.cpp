#include "core/cli/CheckReport.h"

#include "core/util/ErrorText.h"
#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <algorithm>

namespace msgbus::core::cli {
namespace {

// Alike on purpose: one case per status, so that -Wswitch names any status left out.
const char* statusWord(CheckReport::Status status) {
    switch (status) {
    case CheckReport::Status::Ok:
        return "ok";
    case CheckReport::Status::Fail:
        return "fail";
    case CheckReport::Status::Info:
        return "info";
    case CheckReport::Status::Warn:
        return "warn";
    }
    return "info";
}

/// One line per check whatever the texts hold: drivers and brokers may answer with several.
std::string oneLine(std::string text) {
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
    return lossyUtf8(text);
}

} // namespace

CheckReport::CheckReport(Format format, SecretMask mask,
                         std::function<void(const std::string&)> write)
    : _format(format), _mask(std::move(mask)), _write(std::move(write)) {}

void CheckReport::ok(const std::string& name, const std::string& detail) {
    add(Status::Ok, name, detail);
}

void CheckReport::fail(const std::string& name, const std::string& detail) {
    add(Status::Fail, name, detail);
}

void CheckReport::info(const std::string& name, const std::string& detail) {
    add(Status::Info, name, detail);
}

void CheckReport::warn(const std::string& name, const std::string& detail) {
    add(Status::Warn, name, detail);
}

void CheckReport::attempt(const std::string& name, const std::function<void()>& check) {
    try {
        check();
    } catch (...) {
        fail(name, currentErrorText());
    }
}

void CheckReport::add(Status status, const std::string& name, const std::string& detail) {
    Entry entry{oneLine(_mask(name)), status, oneLine(_mask(detail))};
    if (status == Status::Fail)
        ++_failures;
    if (_format == Format::Text) {
        static const char* const words[] = {"OK   ", "FAIL ", "INFO ", "WARN "};
        _write(words[static_cast<int>(status)] + entry.name +
               (entry.detail.empty() ? "" : ": " + entry.detail) + "\n");
    }
    _entries.push_back(std::move(entry));
}

void CheckReport::finish() {
    if (_format == Format::Json) {
        std::string document = "{\"checks\":[";
        for (std::size_t i = 0; i < _entries.size(); ++i) {
            const auto& e = _entries[i];
            document += std::string(i ? "," : "") + "{\"name\":" + json::quote(e.name) +
                        ",\"status\":\"" + statusWord(e.status) +
                        "\",\"detail\":" + json::quote(e.detail) + "}";
        }
        _write(document + "],\"ok\":" + (passed() ? "true" : "false") + "}\n");
        return;
    }
    const auto count = [this](Status status) {
        return std::count_if(_entries.begin(), _entries.end(),
                             [status](const Entry& e) { return e.status == status; });
    };
    const std::string counts =
        std::to_string(count(Status::Ok)) + " OK, " + std::to_string(_failures) + " FAIL, " +
        std::to_string(count(Status::Info)) + " INFO" +
        (count(Status::Warn) > 0 ? ", " + std::to_string(count(Status::Warn)) + " WARN"
                                 : std::string());
    _write(passed() ? "PASSED: " + counts + "\n"
                    : "FAILED: " + counts + " (fix the FAIL lines, then run msgbus check again)\n");
}

} // namespace msgbus::core::cli
