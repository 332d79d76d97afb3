#pragma once

#include "core/cli/SecretMask.h"

#include <functional>
#include <string>
#include <vector>

namespace msgbus::core::cli {

/// The results of `msgbus check`, one per thing checked.
///
/// Text: each result is written as it comes, so a slow check shows where it is ("OK   name:
/// detail", "FAIL name: why and what to do", "INFO name: detail", "WARN name: detail"), then a
/// summary line. JSON: one document at the end,
/// {"checks":[{"name","status","detail"}...],"ok":bool}. Every name and detail goes through the
/// SecretMask first. Not thread-safe.
class CheckReport {
public:
    enum class Format { Text, Json };
    /// Warn: works today, but needs the operator's attention before it stops working (does
    /// not fail the check).
    enum class Status { Ok, Fail, Info, Warn };

    CheckReport(Format format, SecretMask mask, std::function<void(const std::string&)> write);

    void ok(const std::string& name, const std::string& detail = "");
    void fail(const std::string& name, const std::string& detail);
    void info(const std::string& name, const std::string& detail);
    void warn(const std::string& name, const std::string& detail);

    /// Runs one check; whatever it throws becomes a FAIL for name: a check reports every
    /// problem it finds instead of stopping at the first.
    void attempt(const std::string& name, const std::function<void()>& check);

    /// No FAIL so far.
    bool passed() const noexcept { return _failures == 0; }

    /// Writes the summary line (text) or the whole document (JSON).
    void finish();

private:
    struct Entry {
        std::string name;
        Status status;
        std::string detail;
    };

    void add(Status status, const std::string& name, const std::string& detail);

    Format _format;
    SecretMask _mask;
    std::function<void(const std::string&)> _write;
    std::vector<Entry> _entries;
    std::size_t _failures = 0;
};

} // namespace msgbus::core::cli
