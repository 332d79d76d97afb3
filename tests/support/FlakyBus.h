#pragma once

#include "support/ScratchBus.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::test {

/// A ScratchBus whose one consumer, "flaky", runs the test-flaky plugin (tests/plugins/flaky):
/// test.flaky messages record their key in flaky_effects once they stop failing on purpose;
/// test.lockorder messages update rows of lock_rows in the order they name.
struct FlakyBus : ScratchBus {
    /// One test.flaky message: attempts 1..failUntil throw, the next records key.
    struct Flaky {
        std::string key;
        int failUntil = 0;
        std::optional<std::string> partitionKey;
    };

    /// prefix: see ScratchBus. extra: properties beside the consumer's own. orderedEffects:
    /// flaky_effects numbers its rows in commit order (column n) instead of keying them by k.
    FlakyBus(const std::string& prefix, const std::string& connector,
             const std::map<std::string, std::string>& extra, bool orderedEffects = false);

    /// Publishes the messages in this order; asserts every one confirmed.
    void sendFlaky(const std::vector<Flaky>& messages);
    /// Publishes a test.lockorder message per entry: key, the lock_rows ids it updates in that
    /// order, the pause between its updates, its partition key.
    struct LockOrder {
        std::string key;
        std::vector<int> rows;
        int pauseMs = 0;
        std::string partitionKey;
    };
    void sendLockOrder(const std::vector<LockOrder>& messages);
};

} // namespace msgbus::test
