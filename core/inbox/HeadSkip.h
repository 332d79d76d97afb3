#pragma once

#include "core/config/Settings.h"
#include "core/db/Dialect.h"
#include "core/failed/FailedStore.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// An operator's skip of the failed row that heads a parked key (`failed:skip`, the console's
/// Skip): the row is kept as a failed row, never retried on its own, and its key is released,
/// so that the messages parked behind it run next. Used by the CLI and the console alike, so
/// both refuse the same rows for the same reasons. Not thread-safe, like its session.
class HeadSkip {
public:
    enum class Outcome {
        Skipped,
        NoSuchRow,
        Running,  ///< a live host is running the row: its retry would run after the parked ones
        NotAHead, ///< no parked key waits behind the row; left as it was
    };

    HeadSkip(const Settings& settings, Dialect dialect);

    /// Skips row id in a transaction of its own (nothing changes unless it is Skipped).
    Outcome skip(Poco::Data::Session& session, std::int64_t id, std::int64_t nowMs) const;

    /// Releases the key whose head is row (an inbox row of a consumer, ordered or once
    /// ordered): its parked messages run next. True when row was a head. Inside the caller's
    /// transaction.
    bool releaseHead(Poco::Data::Session& session, const FailedRecord& row) const;

    /// The key (SequenceStore::keyOf form) whose parked messages wait behind row, when row
    /// heads one.
    std::optional<std::string> keyHeadedBy(Poco::Data::Session& session,
                                           const FailedRecord& row) const;

    /// Whether the parking tables are worth reading: a consumer is ordered, or sequences are
    /// left from when one was (a database set up before ordered consumption has no tables).
    bool sequencesShown(Poco::Data::Session& session) const;

    /// The operator's text for a refusal ("" for Skipped).
    static std::string describe(Outcome outcome);

private:
    std::vector<std::string> consumers() const;

    const Settings& _settings;
    Dialect _dialect;
    bool _ordered = false;
};

} // namespace msgbus::core
