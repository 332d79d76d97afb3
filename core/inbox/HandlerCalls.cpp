#include "core/inbox/HandlerCalls.h"

#include <map>
#include <string>
#include <tuple>

namespace msgbus::core {
namespace {

/// What the messages of one batch call share: the handler, the attempt and the rerun flag.
using CallKey = std::tuple<const HandlerBinding*, int, bool>;

CallKey keyOf(const PreparedMessage& p) {
    return {p.handler, p.item->attempt, p.handlerRan || p.item->rerun};
}

} // namespace

std::vector<HandlerCall> HandlerCalls::plan(std::span<PreparedMessage* const> fresh) {
    std::vector<HandlerCall> calls;
    calls.reserve(fresh.size());
    // The call each batch handler's messages join now, by position in calls.
    std::map<CallKey, std::size_t> open;
    // The last call that holds a message of each partition key.
    std::map<std::string, std::size_t> lastOfKey;
    for (PreparedMessage* p : fresh) {
        const auto& key = p->message->partitionKey();
        std::size_t at = calls.size();
        const bool batch = p->handler->batch != nullptr;
        if (batch && !p->runsAlone) {
            auto joined = open.find(keyOf(*p));
            // Joining moves p back to the call's place: only past no other call of its key.
            const bool mayJoin = joined != open.end() && (!key || !lastOfKey.count(*key) ||
                                                          lastOfKey[*key] <= joined->second);
            if (mayJoin)
                at = joined->second;
            else
                open[keyOf(*p)] = at;
        }
        if (at == calls.size())
            calls.push_back(HandlerCall{{}, batch});
        calls[at].messages.push_back(p);
        if (key)
            lastOfKey[*key] = std::max(lastOfKey[*key], at);
    }
    return calls;
}

} // namespace msgbus::core
