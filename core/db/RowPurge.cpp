#include "core/db/RowPurge.h"

#include <Poco/Data/Statement.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

std::size_t purgeBatch(Poco::Data::Session& session, const std::string& deleteSql,
                       std::int64_t cutoffMs, int batchSize) {
    Poco::Int64 cutoff = cutoffMs;
    Poco::Int64 limit = batchSize;
    Poco::Data::Statement remove(session);
    remove << deleteSql, use(cutoff), use(limit);
    return remove.execute();
}

} // namespace msgbus::core
