#pragma once

#include "core/amqp/Delivery.h"
#include "core/inbox/DeliveryBudget.h"
#include "core/inbox/LaneDeliveries.h"
#include "core/inbox/LockConflictLog.h"
#include "core/inbox/MessageProcessor.h"
#include "core/inbox/OutageHold.h"
#include "core/inbox/RedeliveryLimit.h"
#include "core/inbox/RedeliveryTracker.h"
#include "core/inbox/UnfinishedRuns.h"
#include "core/plugins/PluginRegistry.h"
#include "core/util/StopToken.h"

#include <Poco/Logger.h>

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace msgbus::core {

/// One batch in flight of an inbox consumer (InboxConsumer runs inbox.consumer.<c>.concurrency
/// of them): gathers the deliveries the pump routed to it into batches and runs each through
/// its own MessageProcessor (its own database session). A delivery is acked only after its
/// outcome (handled, duplicate, retry row or failed row) is committed. While the database is
/// away the batch is held, not given back (OutageHold), and run again when the database
/// answers; when the broker connection breaks, the lane starts over on the pump's next one
/// (unacked deliveries come back and are deduplicated). One thread per lane.
///
/// The handler runs of redelivered messages are recorded (UnfinishedRuns) so that a message
/// whose earlier run killed its host is found when it comes back: it then runs alone, after
/// the rest of its batch, and is stopped after inbox.max_redeliveries.
// Alike on purpose: the inbox workers share one shape (database, plugins, their settings
// slice, metrics, the relays' wake-up; run until the stop token).
class InboxLane {
public:
    /// settings is copied: the lane keeps its own slice. name: the lane's name in /ready
    /// ("orders", or "orders#2" for a consumer's second lane). redeliveries is shared by the
    /// lanes of one consumer (a message given back may come back to another lane).
    InboxLane(Database& database, PluginRegistry& plugins, const InboxWorkerSettings& settings,
              Metrics& metrics, std::function<void()> onOutboxWrite, LaneDeliveries& deliveries,
              RedeliveryTracker& redeliveries, const std::string& name);

    /// Runs batches until stop is requested (finishing the batch in hand), or until budget
    /// is exhausted.
    void run(StopToken& stop, DeliveryBudget& budget);

private:
    /// The deliveries gathered for one commit, in the order they run (BatchPlan).
    struct Batch {
        std::vector<amqp::Delivery> deliveries;
        /// The run key of each redelivered delivery ("" for a first delivery).
        std::vector<std::string> keys;
        /// This consumer's redelivery count of each delivery, counted once when it arrived.
        std::vector<int> tracked;
        /// The host deaths could be read (false while the database was away: read again).
        bool deathsKnown = true;
        std::vector<InboxItem> items; ///< borrow deliveries' wire messages
        /// How many run together, first; each one after them runs alone.
        std::size_t together = 0;
        /// The connection the batch came from (one: a batch ends where its connection does).
        std::uint64_t lastEpoch = 0;
        /// Received and not yet acked or given back.
        bool unsettled = false;
        /// The broker connection broke while gathering: rethrown once the batch is settled.
        std::exception_ptr brokerError;
    };

    /// Connects when needed and gathers a batch of what budget allows; the number reserved
    /// from budget (0 when none came).
    std::size_t receive(Batch& batch, DeliveryBudget& budget);
    /// What arrived during an outage hold first, then the broker's next delivery.
    /// untilIdle: nothing once the broker has sent all it had (see ConsumerPump::take).
    std::optional<amqp::Delivery> nextDelivery(std::chrono::milliseconds timeout,
                                               bool untilIdle = false);
    void gather(std::vector<amqp::Delivery>& deliveries, std::size_t want,
                std::exception_ptr& brokerError);
    /// Counts the batch's redeliveries, then plans it (planRuns).
    void arrange(Batch& batch);
    /// Orders the batch by host deaths and builds its items with their redelivery counts.
    void planRuns(Batch& batch);
    /// Starts or goes on with the outage hold of batch (and what arrived after it).
    void holdBatch(const Batch& batch, const std::string& error);
    /// Runs the batch's parts. Nothing when the database is away (an outage hold began: nothing
    /// of the failing part was committed, nothing was given back). Throws BatchAborted after
    /// giving the batch back when a handler's statement died while the database answers.
    std::optional<std::vector<ProcessResult>> process(const PluginSet& plugins, Batch& batch);
    /// The batch's parts: those that run together, then each that runs alone.
    void runParts(const PluginSet& plugins, const Batch& batch, std::span<ProcessResult> out);
    /// runParts, run again a few times when it lost a lock conflict.
    void runPartsRetryingConflicts(const PluginSet& plugins, const Batch& batch,
                                   std::span<ProcessResult> out);
    /// Gives the batch back when it is still unsettled (an unexpected failure), counted.
    void giveBackUnsettled(Batch& batch, const std::string& error);
    static std::vector<std::uint64_t> tagsOf(const std::vector<amqp::Delivery>& deliveries);
    /// Runs the batch, holding it through database outages; nothing when the hold ended
    /// without running it (stop, held too long, broker lost: see holdEnded).
    /// plugins: the snapshot it ran with, for the caller to keep until it is done with any
    /// exception from plugin code.
    std::optional<std::vector<ProcessResult>>
    processHolding(StopToken& stop, Batch& batch, std::shared_ptr<const PluginSet>& plugins);
    /// The hold of batch ended without running it: give back what the broker still has.
    void holdEnded(OutageHold::End end, Batch& batch, std::exception_ptr brokerError);
    /// Acks or nacks each delivery by its result; false when some were given back.
    bool settle(const Batch& batch, const std::vector<ProcessResult>& results);
    /// Per delivery, how many runs of it began on some host and never ended; keys gets the
    /// run key of each redelivered one ("" for a first delivery); known is false when they
    /// could not be read (all count 0 then).
    std::vector<int> hostDeaths(const std::vector<amqp::Delivery>& deliveries,
                                std::vector<std::string>& keys, bool& known);
    /// One transaction's worth: records the runs, processes, settles the run records.
    void runPart(const PluginSet& plugins, std::span<const amqp::Delivery> deliveries,
                 std::span<const std::string> keys, std::span<const InboxItem> items,
                 std::span<ProcessResult> results);
    /// True when the runs were recorded.
    bool beginRuns(const std::vector<std::string>& keys);
    /// results empty: nothing was committed.
    void endRuns(std::span<const amqp::Delivery> deliveries, std::span<const std::string> keys,
                 std::span<const ProcessResult> results);
    void runsFailed(const char* what, const std::exception& e);

    const InboxWorkerSettings _settings;
    const ConsumerSettings& _consumerSettings; ///< _settings.consumer
    Database& _database;
    PluginRegistry& _plugins;
    Metrics& _metrics;
    MessageProcessor _processor;
    LaneDeliveries& _consumer;
    /// Deliveries that came in while a batch was held (see OutageHold), oldest first.
    std::deque<amqp::Delivery> _arrived;
    OutageHold _hold;
    RedeliveryTracker& _redeliveries;
    UnfinishedRuns _runs;
    bool _runsWorking = true;
    RedeliveryLimit _redeliveryLimit;
    /// Pauses between runs of a batch that lost a lock conflict: contenders part ways.
    std::minstd_rand _jitter{std::random_device{}()};
    static constexpr int kConflictRetries = 3;
    Poco::Logger& _log;
    LockConflictLog _conflicts;
};

} // namespace msgbus::core
