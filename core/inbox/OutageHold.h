#pragma once

#include "core/db/Database.h"
#include "core/inbox/LaneDeliveries.h"
#include "core/metrics/Metrics.h"
#include "core/util/Backoff.h"
#include "core/util/StopToken.h"

#include <Poco/Logger.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <future>
#include <string>

namespace msgbus::core {

/// Keeps a consumer's unsettled deliveries while its database is away, instead of giving them
/// back to the broker.
///
/// Why: a quorum queue counts every return of a message (x-delivery-count) and drops or
/// dead-letters it at the queue's x-delivery-limit. Giving a batch back on each retry cycle of
/// an outage spent that budget within seconds, and a long outage lost messages that had done
/// nothing wrong. Held, a delivery costs nothing: the prefetch stops the broker from sending
/// more than the consumer may hold, and the broker keeps them unacked while the connection
/// lives.
///
/// While holding, deliveries that arrive within the prefetch are kept for the batches after the
/// held one (the consumer's pump keeps the broker connection serviced meanwhile), and the
/// database is probed with backoff. A probe runs on a thread of its own: a database host that
/// stops answering makes it wait for the database timeouts, and the hold must still notice a
/// stop or the broker connection's loss. The hold ends when the database answers (the caller
/// runs the held batch again), when a stop is requested or the oldest held delivery was
/// received inbox.max_hold_ms ago (the caller gives the deliveries back once: the broker's
/// consumer_timeout would close the channel otherwise), or when the broker connection is lost
/// (the broker has them back).
///
/// It logs once when a hold begins and once when it ends, never per probe, and publishes what
/// it holds for /ready (Metrics::heldDeliveries). Not thread-safe: one per lane thread.
class OutageHold {
public:
    enum class End {
        DatabaseAnswers, ///< run the held batch again
        StopRequested,   ///< give the deliveries back once
        HeldTooLong,     ///< inbox.max_hold_ms passed: give them back once
        BrokerLost,      ///< the connection is gone, and the deliveries with it
    };

    OutageHold(Database& database, LaneDeliveries& consumer, Metrics& metrics,
               std::string consumerName, std::chrono::milliseconds maxHold);
    ~OutageHold();
    OutageHold(const OutageHold&) = delete;
    OutageHold& operator=(const OutageHold&) = delete;

    bool holding() const noexcept { return _holding; }

    /// A batch of count deliveries (the oldest received at oldest) could not be run because of
    /// error: starts a hold, or goes on with the one under way (the database answered a probe,
    /// the batch still failed).
    void begin(std::size_t count, std::chrono::steady_clock::time_point oldest,
               const std::string& error);

    /// Waits, collecting deliveries, backing off and probing, until the hold ends (End).
    /// Deliveries that arrive meanwhile are appended to arrived; BrokerLost leaves the
    /// connection's failure in brokerError.
    End wait(StopToken& stop, std::deque<amqp::Delivery>& arrived, std::exception_ptr& brokerError);

    /// The hold is over: how says what became of the deliveries (logged once).
    void end(const std::string& how);

private:
    /// "" when the database answers a query, else why not. Runs on the probe's thread: it
    /// touches no member but the (thread-safe) database.
    std::string probe() const;
    /// Collects a finished probe: true when the database answered.
    bool probeAnswered();
    /// Waits for deliveries for duration (they go to arrived); false when the connection broke
    /// (brokerError) or a stop was requested.
    bool collect(StopToken& stop, std::chrono::milliseconds duration,
                 std::deque<amqp::Delivery>& arrived, std::exception_ptr& brokerError);
    void publish();

    Database& _database;
    LaneDeliveries& _consumer;
    Metrics& _metrics;
    const std::string _consumerName;
    const std::chrono::milliseconds _maxHold;
    const Backoff _backoff = Backoff::forOutage();
    Poco::Logger& _log;

    bool _holding = false;
    std::size_t _count = 0;
    std::string _error;
    std::chrono::steady_clock::time_point _since;
    /// When the oldest held delivery was received: inbox.max_hold_ms runs from then.
    std::chrono::steady_clock::time_point _oldest;
    std::int64_t _sinceMillis = 0;
    int _probes = 0;
    std::chrono::steady_clock::time_point _nextProbe;
    /// The probe under way, if any; its destructor waits for it (at most the database
    /// timeouts), so it never outlives the database it uses.
    std::future<std::string> _probe;
};

} // namespace msgbus::core
