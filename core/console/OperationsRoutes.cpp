#include "core/console/OperationsRoutes.h"

#include "core/console/ApiAnswer.h"
#include "core/console/OperationsHandlers.h"

#include <memory>

namespace msgbus::core::console {

void addOperationsRoutes(ApiRoutes& routes, const OperationsContext& context) {
    // Shared by the handlers: the sampler's thread lives as long as the last route holding it.
    auto shared = std::make_shared<const OperationsContext>(context);
    auto sampler = std::make_shared<QueueSampler>(context.settings, context.queueSampleInterval);
    auto route = [shared](ApiResponse (*handler)(const OperationsContext&, const ApiRequest&)) {
        return answering([shared, handler](const ApiRequest& r) { return handler(*shared, r); });
    };
    routes.add("GET", "/api/outbox/summary", route(&outboxSummary));
    routes.add("GET", "/api/outbox/delivered", route(&outboxDelivered));
    routes.add("POST", "/api/outbox/replay", route(&outboxReplay));
    routes.add("GET", "/api/queues",
               answering([sampler](const ApiRequest& r) { return queues(*sampler, r); }));
    routes.add("GET", "/api/hosts", route(&hosts));
}

} // namespace msgbus::core::console
