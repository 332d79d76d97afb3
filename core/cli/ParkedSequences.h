#pragma once

#include "core/config/Settings.h"
#include "core/db/Dialect.h"
#include "core/failed/FailedStore.h"
#include "core/inbox/HeadSkip.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <ostream>
#include <string>

namespace msgbus::core::cli {

/// The parked sequences of ordered consumers as the operator commands show them (failed:list,
/// stats): each key with its head's message id and last error, how many messages wait behind
/// it and how long the oldest has waited. With no consumer ordered they are shown only when the
/// sequences table holds rows (ordered was turned off while keys were parked: they must not
/// vanish from view), and a database set up before ordered consumption existed needs no new
/// tables.
class ParkedSequences {
public:
    ParkedSequences(const Settings& settings, Dialect dialect);

    /// Whether any consumer is ordered (else every method is empty).
    bool any() const noexcept { return _ordered; }

    /// Up to limit sequences as a JSON array.
    std::string json(Poco::Data::Session& session, int limit, std::int64_t nowMs) const;
    /// Up to limit sequences as a table under a heading; nothing when none is open.
    void print(std::ostream& out, Poco::Data::Session& session, int limit,
               std::int64_t nowMs) const;
    /// {"sequences": n, "parked": m} counts for stats, as JSON members (without braces).
    std::string countsJson(Poco::Data::Session& session) const;
    void printCounts(std::ostream& out, Poco::Data::Session& session) const;

    /// Releases the key whose head is row (an inbox row of a consumer, ordered or once
    /// ordered): its parked messages run next. True when row was a head.
    bool releaseHead(Poco::Data::Session& session, const FailedRecord& row) const;

private:
    /// Whether to read the tables: a consumer is ordered, or sequences are left from one.
    bool shown(Poco::Data::Session& session) const;
    /// "<error class>: <message>" of the head's row, or "" when it has none any more.
    std::string headError(Poco::Data::Session& session, const std::string& consumer,
                          const Id& head) const;

    const Settings& _settings;
    Dialect _dialect;
    HeadSkip _heads;
    bool _ordered = false;
};

} // namespace msgbus::core::cli
