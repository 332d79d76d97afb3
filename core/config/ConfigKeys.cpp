#include "core/config/ConfigKeys.h"

#include <array>
#include <vector>

namespace msgbus::core {
namespace {

constexpr bool kDefault = true;
constexpr bool kNoDefault = false;

constexpr std::array kKeys{
    ConfigKey{"db.connector", kNoDefault},
    ConfigKey{"db.connection", kNoDefault},
    ConfigKey{"db.pool.max", kDefault},
    ConfigKey{"db.pool.wait_ms", kDefault},
    ConfigKey{"db.io_timeout_ms", kDefault},

    ConfigKey{"amqp.url", kNoDefault},
    ConfigKey{"amqp.user", kNoDefault},
    ConfigKey{"amqp.password", kNoDefault},
    ConfigKey{"amqp.heartbeat", kDefault},
    ConfigKey{"amqp.management.url", kDefault},
    ConfigKey{"amqp.management.ca_file", kDefault},
    ConfigKey{"amqp.management.allow_insecure_http", kDefault},
    // Its line is what declares the exchange, so its value in the file is an example.
    ConfigKey{"amqp.exchange.<name>.type", kNoDefault},
    ConfigKey{"amqp.queue.<name>.type", kDefault},
    ConfigKey{"amqp.queue.<name>.argument.<x-name>", kNoDefault},
    ConfigKey{"amqp.queue.<name>.bindings", kNoDefault},

    // Its default is where the executable is installed, not a value the file can show.
    ConfigKey{"plugins.dir", kNoDefault},
    ConfigKey{"plugins.runtime_dir", kDefault},
    ConfigKey{"plugin.<id>.library", kNoDefault},
    ConfigKey{"plugin.<id>.classes", kNoDefault},
    ConfigKey{"plugin.<id>.config.*", kNoDefault},
    ConfigKey{"bus.serializer", kNoDefault},
    ConfigKey{"bus.routing", kNoDefault},

    ConfigKey{"outbox.table", kDefault},
    ConfigKey{"outbox.workers", kDefault},
    ConfigKey{"outbox.batch_size", kDefault},
    ConfigKey{"outbox.confirm_window", kDefault},
    ConfigKey{"outbox.poll_interval_ms", kDefault},
    ConfigKey{"outbox.confirm_timeout_ms", kDefault},
    ConfigKey{"outbox.max_attempts", kDefault},
    ConfigKey{"outbox.retry_delay_ms", kDefault},
    ConfigKey{"outbox.max_retry_delay_ms", kDefault},
    ConfigKey{"outbox.ordered", kDefault},
    ConfigKey{"outbox.lanes", kDefault},
    ConfigKey{"outbox.keep_delivered", kDefault},
    ConfigKey{"outbox.max_body_bytes", kDefault},
    ConfigKey{"outbox.doorbell", kDefault},

    ConfigKey{"inbox.consumers", kNoDefault},
    ConfigKey{"inbox.consumer.<name>.queue", kNoDefault},
    ConfigKey{"inbox.consumer.<name>.prefetch", kDefault},
    ConfigKey{"inbox.consumer.<name>.concurrency", kDefault},
    ConfigKey{"inbox.consumer.<name>.plugins", kNoDefault},
    ConfigKey{"inbox.consumer.<name>.ordered", kDefault},
    ConfigKey{"inbox.batch_size", kDefault},
    ConfigKey{"inbox.batch_wait_ms", kDefault},
    ConfigKey{"inbox.max_redeliveries", kDefault},
    ConfigKey{"inbox.max_hold_ms", kDefault},

    ConfigKey{"retry.max_retries", kDefault},
    ConfigKey{"retry.delay_ms", kDefault},
    ConfigKey{"retry.multiplier", kDefault},
    ConfigKey{"retry.max_delay_ms", kDefault},
    ConfigKey{"retry.lease_ms", kDefault},

    ConfigKey{"dedup.table", kDefault},
    ConfigKey{"dedup.retention", kDefault},
    ConfigKey{"dedup.partitioning", kDefault},
    ConfigKey{"dedup.partitions_ahead", kDefault},
    ConfigKey{"failed.table", kDefault},
    ConfigKey{"host.id", kDefault},
    ConfigKey{"host.heartbeat_ms", kDefault},
    ConfigKey{"host.table", kDefault},
    ConfigKey{"http.port", kDefault},
    ConfigKey{"logging.format", kDefault},
    ConfigKey{"tracing.otlp.endpoint", kDefault},
    ConfigKey{"tracing.otlp.ca_file", kDefault},
    ConfigKey{"tracing.otlp.allow_insecure_http", kDefault},
    ConfigKey{"tracing.service_name", kDefault},

    ConfigKey{"console.enabled", kDefault},
    ConfigKey{"console.listen", kDefault},
    ConfigKey{"console.token", kNoDefault},
    ConfigKey{"console.users", kNoDefault},
    ConfigKey{"console.read_only", kDefault},
    ConfigKey{"console.max_action_rows", kDefault},
    ConfigKey{"console.masked_headers", kDefault},
    ConfigKey{"console.trace_url", kNoDefault},
};

std::vector<std::string_view> segmentsOf(std::string_view text) {
    std::vector<std::string_view> out;
    for (std::size_t pos = 0;;) {
        const std::size_t dot = text.find('.', pos);
        if (dot == std::string_view::npos) {
            out.push_back(text.substr(pos));
            return out;
        }
        out.push_back(text.substr(pos, dot - pos));
        pos = dot + 1;
    }
}

} // namespace

std::span<const ConfigKey> ConfigKeys::all() {
    return kKeys;
}

const ConfigKey* ConfigKeys::find(std::string_view key) {
    for (const auto& entry : kKeys)
        if (matches(entry.pattern, key))
            return &entry;
    return nullptr;
}

bool ConfigKeys::matches(std::string_view pattern, std::string_view key) {
    // A user's name may be anything Poco made a segment of, even an empty one: a key built
    // from it must still match, or reading it would be taken for a bug of the catalogue.
    const auto want = segmentsOf(pattern);
    const auto have = segmentsOf(key);
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (want[i] == "*")
            return true; // the plugin's own subtree, its root included
        if (i >= have.size())
            return false;
        const bool placeholder =
            want[i].size() > 2 && want[i].front() == '<' && want[i].back() == '>';
        if (!placeholder && want[i] != have[i])
            return false;
    }
    return want.size() == have.size();
}

} // namespace msgbus::core
