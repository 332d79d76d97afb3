#include "core/console/HeadRedirect.h"

#include "core/inbox/SequenceStore.h"
#include "core/util/Utf8Text.h"

#include <msgbus/Id.h>

namespace msgbus::core {

std::vector<std::string> orderedConsumersOf(const Settings& settings) {
    std::vector<std::string> ordered;
    for (const auto& consumer : settings.inbox.consumers)
        if (consumer.ordered)
            ordered.push_back(consumer.name);
    return ordered;
}

std::string headRedirectRefusal(Poco::Data::Session& session, Dialect dialect,
                                const Settings& settings, const FailedListRow& row) {
    const std::vector<std::string> ordered = orderedConsumersOf(settings);
    if (ordered.empty() || !row.messageIdHex || !Id::isValid(*row.messageIdHex))
        return "";
    const auto key = SequenceStore(dialect, settings.dedupTable)
                         .keyHeadedBy(session, row.source, Id::parse(*row.messageIdHex), ordered);
    if (!key)
        return "";
    return "it is the head of parked key '" + lossyUtf8(*key) +
           "': run under another consumer it would never release that key (retry it without "
           "to_consumer, or skip it with failed:skip)";
}

} // namespace msgbus::core
