#pragma once

// The handlers behind addOperationsRoutes, one file each area; internal to core/console.

#include "core/console/ApiExchange.h"
#include "core/console/OperationsRoutes.h"
#include "core/console/QueueSampler.h"
#include "core/outbox/DeliveredStore.h"

#include <Poco/Data/Session.h>

namespace msgbus::core::console {

ApiResponse outboxSummary(const OperationsContext& context, const ApiRequest& request);
ApiResponse outboxDelivered(const OperationsContext& context, const ApiRequest& request);
ApiResponse outboxReplay(const OperationsContext& context, const ApiRequest& request);
ApiResponse queues(const QueueSampler& sampler, const ApiRequest& request);
ApiResponse hosts(const OperationsContext& context, const ApiRequest& request);

/// The outbox's table of delivered messages, which the delivered list and the replay read;
/// throws ApiError 404 saying how to get it when it does not exist.
DeliveredStore existingDeliveredStore(const OperationsContext& context,
                                      Poco::Data::Session& session);

/// The most rows a format=json|csv download holds.
inline constexpr int kMaxExportRows = 100000;

} // namespace msgbus::core::console
