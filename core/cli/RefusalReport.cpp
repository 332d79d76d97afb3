#include "core/cli/RefusalReport.h"

#include "core/cli/TimeArgument.h"
#include "core/config/RetryHorizon.h"

namespace msgbus::core::cli {

void RefusalReport::add(std::int64_t id, const RowRefusal& refusal, bool named) {
    switch (refusal.reason) {
    case Refusal::None:
        return;
    case Refusal::BodyCut:
        ++_cut;
        break;
    case Refusal::Leased:
        ++_leased;
        break;
    case Refusal::TooOld:
        ++_old;
        break;
    case Refusal::Gone:
    case Refusal::Changed:
        ++_changed;
        break;
    }
    _namedRefused = _namedRefused || named;
    _lines.push_back("row " + std::to_string(id) + " refused: " + reasonText(refusal));
}

std::string RefusalReport::reasonText(const RowRefusal& refusal) const {
    switch (refusal.reason) {
    case Refusal::BodyCut:
        return "its body was cut when it was stored, and a run would see only its first bytes "
               "(failed:show shows what is stored; failed:remove drops it)";
    case Refusal::Leased:
        return "a running host's retry worker holds it (leased " +
               (refusal.leasedBy.empty() ? "" : "by " + refusal.leasedBy + " ") + "until " +
               isoTimeText(refusal.leasedUntil) + "); it runs there now";
    case Refusal::TooOld:
        return "created " + isoTimeText(refusal.createdAt) + ", older than dedup.retention (" +
               durationText(_retention) +
               "): its deduplication row may have been cleaned, and a retry could run its "
               "effects twice; --force retries it anyway";
    case Refusal::Gone:
        return "no longer in the failed table (settled or removed meanwhile)";
    case Refusal::Changed:
        return "it changed while the command ran; run the command again";
    case Refusal::None:
        break;
    }
    return "";
}

void RefusalReport::print(std::ostream& out) const {
    for (const auto& line : _lines)
        out << line << "\n";
}

std::string RefusalReport::summary(bool retry) const {
    if (_lines.empty())
        return "";
    std::string out = "; refused " + std::to_string(_lines.size()) + ": ";
    if (retry)
        out += std::to_string(_cut) + " cut bodies, ";
    out += std::to_string(_leased) + " leased by a running host";
    if (retry)
        out += ", " + std::to_string(_old) + " older than dedup.retention (use --force)";
    if (_changed > 0)
        out += ", " + std::to_string(_changed) + " gone or changed meanwhile";
    return out;
}

} // namespace msgbus::core::cli
