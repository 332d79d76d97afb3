#pragma once

#include "core/plugins/PluginSet.h"

#include <atomic>
#include <memory>

namespace msgbus::core {

/// The current plugin generation. Workers take a snapshot at the start of each batch and keep
/// it until the batch is committed and acked; a reload publishes a new set atomically and the
/// old one is freed (its libraries closed) when the last snapshot is released.
/// The one piece of process-wide mutable state, behind an atomic shared_ptr. Thread-safe.
class PluginRegistry {
public:
    std::shared_ptr<const PluginSet> current() const { return _current.load(); }
    void publish(std::shared_ptr<const PluginSet> set) { _current.store(std::move(set)); }

private:
    std::atomic<std::shared_ptr<const PluginSet>> _current;
};

} // namespace msgbus::core
