#pragma once

#include "core/config/Settings.h"
#include "core/db/Dialect.h"
#include "core/failed/FailedQuery.h"

#include <Poco/Data/Session.h>

#include <string>
#include <vector>

namespace msgbus::core {

/// The consumers with inbox.consumer.<c>.ordered = true.
std::vector<std::string> orderedConsumersOf(const Settings& settings);

/// Why row may not be retried under another consumer: it is the head of a parked key of an
/// ordered consumer (the key is released only when that consumer settles its head), or "".
std::string headRedirectRefusal(Poco::Data::Session& session, Dialect dialect,
                                const Settings& settings, const FailedListRow& row);

} // namespace msgbus::core
