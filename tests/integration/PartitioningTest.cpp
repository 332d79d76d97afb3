// dedup.partitioning = daily: the deduplication and delivered tables partitioned by day on
// MariaDB, created by `msgbus setup`, rotated under a lock, dropped whole by the cleanup
// commands; and the guarantees that must survive it: a duplicate recorded on another day is
// still a duplicate, and no day inside dedup.retention is dropped. SQLite refuses daily.
#include "core/config/ConfigError.h"
#include "core/config/PartitionSettings.h"
#include "core/config/Settings.h"
#include "core/db/DailyPartitions.h"
#include "core/db/Database.h"
#include "core/db/PartitionLayout.h"
#include "core/db/PartitionRotation.h"
#include "core/db/Schema.h"
#include "core/db/Transaction.h"
#include "core/inbox/DedupStore.h"
#include "core/util/Clock.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <future>
#include <map>

using namespace msgbus;
using namespace Poco::Data::Keywords;

namespace {

using Properties = std::map<std::string, std::string>;

constexpr std::int64_t kDay = core::DailyPartitions::kDayMs;

void assertContains(const std::string& text, const std::string& part) {
    CPPUNIT_ASSERT_MESSAGE("'" + text + "' lacks '" + part + "'",
                           text.find(part) != std::string::npos);
}

/// A MariaDB bus of its own (fresh database) with daily partitioning, and its binary's config.
struct PartitionedBus {
    std::string dir;
    std::string config;
    core::Settings settings;
    std::unique_ptr<core::Database> database;

    explicit PartitionedBus(const Properties& extra = {}) {
        dir = test::tempDir("partitions");
        std::map<std::string, std::string> props = test::baseProperties(
            "MySQL", test::createMysqlDatabase(), test::uniqueName("partex"), extra);
        props.emplace("dedup.partitioning", "daily");
        props.emplace("dedup.partitions_ahead", "3");
        config = test::writeProperties(dir + "/msgbus.properties", props);
        settings = core::Settings::load(*test::configFrom(props));
        database = std::make_unique<core::Database>(settings.db);
    }
    PartitionedBus(const PartitionedBus&) = delete;
    PartitionedBus& operator=(const PartitionedBus&) = delete;
    ~PartitionedBus() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }

    core::PartitionRotation rotation() {
        return core::PartitionRotation(*database, core::tableNamesOf(settings),
                                       settings.dedupRetention);
    }

    std::vector<std::string> partitionNames(const core::DailyPartitions& table) {
        auto session = database->session();
        std::vector<std::string> names;
        for (const auto& p : table.list(*session))
            names.push_back(p.name);
        return names;
    }

    /// Splits today's partition (which takes every older row) into one per day for the days
    /// before today, back to `days` ago: the table as a host running for that long left it.
    void addPastDays(const core::DailyPartitions& table, int days) {
        const std::int64_t today = core::DailyPartitions::dayStart(core::nowMillis());
        std::string lines;
        for (int i = days; i >= 1; --i) {
            const std::int64_t day = today - i * kDay;
            lines += "PARTITION " + core::DailyPartitions::nameOf(day) + " VALUES LESS THAN (" +
                     std::to_string(day + kDay) + "), ";
        }
        lines += "PARTITION " + core::DailyPartitions::nameOf(today) + " VALUES LESS THAN (" +
                 std::to_string(today + kDay) + ")";
        auto session = database->session();
        *session << "ALTER TABLE " + table.table() + " REORGANIZE PARTITION " +
                        core::DailyPartitions::nameOf(today) + " INTO (" + lines + ")",
            now;
    }

    void execute(const std::string& sql) {
        auto session = database->session();
        *session << sql, now;
    }

    /// The tables of this bus's database that partition drops swap days out into.
    std::vector<std::string> retiredTables() {
        auto session = database->session();
        std::vector<std::string> names;
        *session << "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "DATABASE() AND TABLE_NAME LIKE '%\\_retired\\_p%'",
            into(names), now;
        return names;
    }

    std::int64_t count(const std::string& table, const std::string& where = "1=1") {
        auto session = database->session();
        Poco::Int64 n = -1;
        *session << "SELECT COUNT(*) FROM " + table + " WHERE " + where, into(n), now;
        return n;
    }

    void insertDedup(std::int64_t processedAt, int n) {
        core::DedupStore dedup(database->dialect(), settings.dedupTable, true);
        auto session = database->session();
        for (int i = 0; i < n; ++i)
            CPPUNIT_ASSERT(
                dedup.tryInsert(*session, Id::generate(), "c", "order.placed", processedAt));
    }

    void insertDelivered(std::int64_t deliveredAt, int n) {
        auto session = database->session();
        for (int i = 0; i < n; ++i)
            *session << "INSERT INTO " + core::deliveredTableOf(settings.outbox.table) +
                            " (message_id, message_name, headers, body, created_at, "
                            "delivered_at, exchange, routing_key) VALUES (UNHEX(REPLACE(UUID(), "
                            "'-', '')), 'order.placed', '{}', '{}', " +
                            std::to_string(deliveredAt) + ", " + std::to_string(deliveredAt) +
                            ", 'x', 'order.placed')",
                now;
    }

    std::string run(const std::string& args, int expectedExit = 0) {
        std::string output;
        const int rc =
            test::runCommand(test::msgbusBinary() + " " + args + " --config " + config, &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(args + ": " + output, expectedExit, rc);
        return output;
    }
};

} // namespace

class PartitioningTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PartitioningTest);
    CPPUNIT_TEST(testSetupCreatesTodayAndTheDaysAheadAndCheckReportsThem);
    CPPUNIT_TEST(testMaintenanceAddsDaysAndDropsOnlyDaysPastTheRetention);
    CPPUNIT_TEST(testTwoMaintainersAtOnceBothSucceed);
    CPPUNIT_TEST(testAnInterruptedDropIsFinishedByTheNextPass);
    CPPUNIT_TEST(testDuplicateRecordedOnAnotherDayIsStillADuplicate);
    CPPUNIT_TEST(testConcurrentDuplicateOnTheNextDayWaitsAndIsADuplicate);
    CPPUNIT_TEST(testInboxRunsAMessageRecordedOnAnotherDayNoMore);
    CPPUNIT_TEST(testGuardRefusesToDropADayInsideTheRetention);
    CPPUNIT_TEST(testCleanupDropsWholeDaysAndKeepsNewerRows);
    CPPUNIT_TEST(testSetupRefusesAnUnpartitionedTableAndItsConversionWorks);
    CPPUNIT_TEST(testSqliteRefusesDailyAndNoneKeepsItsTables);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSetupCreatesTodayAndTheDaysAheadAndCheckReportsThem() {
        PartitionedBus bus;
        const std::string out = bus.run("setup --schema-only");
        assertContains(out, "partitioned by day");
        const std::int64_t today = core::DailyPartitions::dayStart(core::nowMillis());
        std::vector<std::string> expected;
        for (int i = 0; i <= 3; ++i)
            expected.push_back(core::DailyPartitions::nameOf(today + i * kDay));
        expected.push_back("pfuture");
        auto rotation = bus.rotation();
        CPPUNIT_ASSERT(expected == bus.partitionNames(rotation.dedup()));
        CPPUNIT_ASSERT(expected == bus.partitionNames(rotation.delivered()));
        // Setup again: nothing to add, nothing refused.
        bus.run("setup --schema-only");
        CPPUNIT_ASSERT(expected == bus.partitionNames(rotation.dedup()));

        std::string check;
        test::runCommand(test::msgbusBinary() + " check --config " + bus.config, &check);
        assertContains(check, "OK   partitions of " + bus.settings.dedupTable);
        assertContains(check, "3 day(s) ready after today");
        assertContains(check, "OK   table " + bus.settings.dedupTable);
    }

    void testMaintenanceAddsDaysAndDropsOnlyDaysPastTheRetention() {
        PartitionedBus bus(Properties{{"dedup.retention", "2d"}});
        bus.run("setup --schema-only");
        auto rotation = bus.rotation();
        bus.addPastDays(rotation.dedup(), 5);
        const std::int64_t now = core::nowMillis();
        const std::int64_t today = core::DailyPartitions::dayStart(now);
        bus.insertDedup(today - 5 * kDay + 1000, 2); // 5 days ago: past the retention
        bus.insertDedup(today - 2 * kDay + 1000, 3); // the day the 2d window begins in
        bus.insertDedup(now, 4);
        // Counted, the days with rows are swapped out before their drop (not dropped in place).
        bus.execute("ANALYZE TABLE " + bus.settings.dedupTable);

        // Nothing to add (setup did); the days wholly older than now - 2d go.
        const auto pass = rotation.run(now, std::chrono::seconds(5), true);
        CPPUNIT_ASSERT(pass.ran);
        // Partitions whose bound is at or before now - 2d: the days 5, 4 and 3 days ago.
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), pass.droppedDedup.partitions.size());
        CPPUNIT_ASSERT_EQUAL(core::DailyPartitions::nameOf(today - 5 * kDay),
                             pass.droppedDedup.partitions.front().name);
        CPPUNIT_ASSERT(pass.droppedDedup.leftovers.empty());
        // The rows of the dropped days are gone, the newer ones stay, and the tables the days
        // were swapped out into are gone too.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), bus.count(bus.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0),
                             bus.count(bus.settings.dedupTable,
                                       "processed_at < " + std::to_string(today - 2 * kDay)));
        CPPUNIT_ASSERT(bus.retiredTables().empty());
        const auto names = bus.partitionNames(rotation.dedup());
        CPPUNIT_ASSERT_EQUAL(core::DailyPartitions::nameOf(today - 2 * kDay), names.front());

        // Two days later: two more days ahead in each table.
        const auto later = rotation.run(now + 2 * kDay, std::chrono::seconds(5), false);
        CPPUNIT_ASSERT(later.ran);
        // today + 3 was there; today + 4 and today + 5 are new, in both tables.
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), later.added.size());
        const auto after = bus.partitionNames(rotation.delivered());
        CPPUNIT_ASSERT_EQUAL(core::DailyPartitions::nameOf(today + 5 * kDay),
                             after[after.size() - 2]);
        CPPUNIT_ASSERT_EQUAL(std::string("pfuture"), after.back());
    }

    void testTwoMaintainersAtOnceBothSucceed() {
        PartitionedBus bus;
        bus.run("setup --schema-only");
        const std::int64_t later = core::nowMillis() + 10 * kDay;
        auto runOne = [&bus, later](std::chrono::seconds wait) {
            core::Database own(bus.settings.db);
            return core::PartitionRotation(own, core::tableNamesOf(bus.settings),
                                           bus.settings.dedupRetention)
                .run(later, wait, true);
        };
        // One waits for the other's pass, one gives up at once if it finds the lock taken:
        // neither fails, and the days are added once.
        auto first = std::async(std::launch::async, runOne, std::chrono::seconds(60));
        auto second = std::async(std::launch::async, runOne, std::chrono::seconds(0));
        const auto a = first.get();
        const auto b = second.get();
        CPPUNIT_ASSERT(a.ran);
        CPPUNIT_ASSERT_EQUAL(std::size_t(20), a.added.size() + b.added.size());
        const auto names = bus.partitionNames(bus.rotation().dedup());
        // At now + 10d with the 7d retention, today .. today + 2 are past it: today + 3 .. +13
        // and the future partition are left.
        CPPUNIT_ASSERT_EQUAL(std::size_t(11 + 1), names.size());
        CPPUNIT_ASSERT(bus.retiredTables().empty());
    }

    void testAnInterruptedDropIsFinishedByTheNextPass() {
        PartitionedBus bus(Properties{{"dedup.retention", "2d"}});
        bus.run("setup --schema-only");
        auto rotation = bus.rotation();
        bus.addPastDays(rotation.dedup(), 5);
        bus.addPastDays(rotation.delivered(), 5);
        const std::int64_t now = core::nowMillis();
        const std::int64_t today = core::DailyPartitions::dayStart(now);
        bus.insertDedup(today - 5 * kDay + 1000, 3);
        bus.insertDedup(today - 4 * kDay + 1000, 2);
        bus.insertDedup(now, 4);
        bus.insertDelivered(now, 1);
        // A process killed after swapping the oldest day out of the deduplication table: the
        // day's partition is empty, its rows sit in the retired table. And one killed right
        // after creating a retired table for the delivered table.
        const std::string oldest = core::DailyPartitions::nameOf(today - 5 * kDay);
        const std::string dedupRetired = bus.settings.dedupTable + "_retired_" + oldest;
        const std::string delivered = core::deliveredTableOf(bus.settings.outbox.table);
        const std::string deliveredRetired = delivered + "_retired_" + oldest;
        bus.execute("CREATE TABLE " + dedupRetired + " LIKE " + bus.settings.dedupTable);
        bus.execute("ALTER TABLE " + dedupRetired + " REMOVE PARTITIONING");
        bus.execute("ALTER TABLE " + bus.settings.dedupTable + " EXCHANGE PARTITION " + oldest +
                    " WITH TABLE " + dedupRetired);
        bus.execute("CREATE TABLE " + deliveredRetired + " LIKE " + delivered);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), bus.count(dedupRetired));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), bus.retiredTables().size());

        std::string check;
        test::runCommand(test::msgbusBinary() + " check --config " + bus.config, &check);
        assertContains(check, "table " + dedupRetired + " is left by an interrupted");
        assertContains(check, "table " + deliveredRetired + " is left by an interrupted");

        const auto pass = rotation.run(now, std::chrono::seconds(5), true);
        CPPUNIT_ASSERT(pass.ran);
        CPPUNIT_ASSERT(std::vector<std::string>{dedupRetired} == pass.droppedDedup.leftovers);
        CPPUNIT_ASSERT(std::vector<std::string>{deliveredRetired} == pass.leftovers);
        // The emptied day went with the other days past the retention (5, 4 and 3 days ago).
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), pass.droppedDedup.partitions.size());
        CPPUNIT_ASSERT_EQUAL(oldest, pass.droppedDedup.partitions.front().name);
        CPPUNIT_ASSERT(bus.retiredTables().empty());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(4), bus.count(bus.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), bus.count(delivered));
        CPPUNIT_ASSERT_EQUAL(core::DailyPartitions::nameOf(today - 2 * kDay),
                             bus.partitionNames(rotation.dedup()).front());

        // A user's table that merely starts like a retired one is not touched.
        const std::string own = bus.settings.dedupTable + "_retired_notes";
        bus.execute("CREATE TABLE " + own + " (id INT)");
        rotation.run(now, std::chrono::seconds(5), true);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), bus.count(own));
    }

    void testDuplicateRecordedOnAnotherDayIsStillADuplicate() {
        PartitionedBus bus;
        bus.run("setup --schema-only");
        core::DedupStore dedup(bus.database->dialect(), bus.settings.dedupTable, true);
        const std::int64_t now = core::nowMillis();
        const Id seen = Id::generate();
        const Id later = Id::generate();
        auto session = bus.database->session();
        CPPUNIT_ASSERT(dedup.tryInsert(*session, seen, "c", "order.placed", now));
        CPPUNIT_ASSERT(dedup.tryInsert(*session, later, "c", "order.placed", now + 2 * kDay));
        // The same messages on another day: duplicates, and no second row stays behind.
        CPPUNIT_ASSERT(!dedup.tryInsert(*session, seen, "c", "order.placed", now + kDay));
        CPPUNIT_ASSERT(!dedup.tryInsert(*session, later, "c", "order.placed", now));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), bus.count(bus.settings.dedupTable));
        // Another consumer has its own rows.
        CPPUNIT_ASSERT(dedup.tryInsert(*session, seen, "d", "order.placed", now + kDay));
        // The batch insert reports the short count its callers roll back on.
        const Id fresh = Id::generate();
        {
            core::Transaction tx(*session, bus.database->dialect());
            CPPUNIT_ASSERT_EQUAL(
                std::size_t(1),
                dedup.tryInsertAll(*session, "c", {{seen, "order.placed"}, {fresh, "order.placed"}},
                                   now + 3 * kDay));
        } // rolled back, as the inbox does on a short count
        CPPUNIT_ASSERT_EQUAL(std::size_t(1),
                             dedup.tryInsertAll(*session, "c", {{fresh, "order.placed"}}, now));
        CPPUNIT_ASSERT(dedup.findProcessed(*session, "c", {seen, later, fresh}).size() == 3);
    }

    void testConcurrentDuplicateOnTheNextDayWaitsAndIsADuplicate() {
        PartitionedBus bus;
        bus.run("setup --schema-only");
        core::DedupStore first(bus.database->dialect(), bus.settings.dedupTable, true);
        const std::int64_t now = core::nowMillis();
        const Id id = Id::generate();
        auto a = bus.database->session();
        core::Transaction txA(*a, bus.database->dialect());
        CPPUNIT_ASSERT(first.tryInsert(*a, id, "c", "order.placed", now));
        // Another host takes the same message on the next day while the first has not
        // committed: it must wait for the first's outcome, not run the handlers beside it.
        auto other = std::async(std::launch::async, [&bus, id, now] {
            core::DedupStore second(bus.database->dialect(), bus.settings.dedupTable, true);
            auto b = bus.database->session();
            core::Transaction txB(*b, bus.database->dialect());
            const bool inserted = second.tryInsert(*b, id, "c", "order.placed", now + kDay);
            txB.commit();
            return inserted;
        });
        txA.commit();
        CPPUNIT_ASSERT(!other.get());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), bus.count(bus.settings.dedupTable));
    }

    void testInboxRunsAMessageRecordedOnAnotherDayNoMore() {
        // The whole inbox (orders sample handler) on daily-partitioned tables: a message whose
        // dedup row sits in another day's partition is a duplicate, delivered twice or not.
        test::ScratchBus inbox("partinbox");
        inbox.open("MySQL",
                   {{"plugin.orders.library", "liborders-handlers.so"},
                    {"inbox.consumers", "orders"},
                    {"inbox.consumer.orders.queue", inbox.queue},
                    {"inbox.consumer.orders.plugins", "orders"},
                    {"dedup.partitioning", "daily"}},
                   "#", [](Poco::Data::Session& session) {
                       session << "CREATE TABLE order_projection (order_id VARCHAR(64) PRIMARY "
                                  "KEY, total DOUBLE NOT NULL, message_id VARCHAR(36) NOT NULL)",
                           now;
                   });
        auto order = [](const std::string& orderId) {
            Message m("order.placed", R"({"orderId":")" + orderId + R"(","total":9.5})");
            m.setId(Id::generate());
            return m;
        };
        const Message seen = order("o-1");
        const Message fresh = order("o-2");
        {
            core::DedupStore dedup(inbox.database->dialect(), inbox.settings.dedupTable, true);
            auto session = inbox.database->session();
            CPPUNIT_ASSERT(dedup.tryInsert(*session, seen.id(), "orders", seen.name(),
                                           core::nowMillis() + kDay));
        }
        const auto encode = [&inbox](const Message& m) {
            return inbox.plugins.current()->serializer->encode(m);
        };
        inbox.send({encode(seen), encode(fresh), encode(seen), encode(fresh)}, "order.placed");
        inbox.consume(4);
        CPPUNIT_ASSERT_EQUAL(1, inbox.count("SELECT COUNT(*) FROM order_projection"));
        CPPUNIT_ASSERT_EQUAL(1, inbox.count("SELECT COUNT(*) FROM order_projection WHERE "
                                            "order_id = 'o-2'"));
        CPPUNIT_ASSERT_EQUAL(2, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), inbox.metrics.deduplicated.load());
    }

    void testGuardRefusesToDropADayInsideTheRetention() {
        PartitionedBus bus(Properties{{"dedup.retention", "3d"}});
        bus.run("setup --schema-only");
        auto rotation = bus.rotation();
        bus.addPastDays(rotation.dedup(), 4);
        const auto before = bus.partitionNames(rotation.dedup());
        const std::int64_t now = core::nowMillis();
        try {
            rotation.dropDedupOlderThan(now - kDay, now, std::chrono::seconds(5));
            CPPUNIT_FAIL("a drop inside dedup.retention was not refused");
        } catch (const msgbus::Error& e) {
            assertContains(e.what(), "dedup.retention");
        }
        CPPUNIT_ASSERT(before == bus.partitionNames(rotation.dedup()));
        // At the window's edge: only the days wholly older than now - 3d.
        const auto dropped =
            rotation.dropDedupOlderThan(now - 3 * kDay, now, std::chrono::seconds(5));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), dropped.partitions.size()); // 4 days ago
    }

    void testCleanupDropsWholeDaysAndKeepsNewerRows() {
        PartitionedBus bus(Properties{{"dedup.retention", "2d"}});
        bus.run("setup --schema-only");
        auto rotation = bus.rotation();
        bus.addPastDays(rotation.dedup(), 6);
        bus.addPastDays(rotation.delivered(), 6);
        const std::int64_t now = core::nowMillis();
        bus.insertDedup(now - 6 * kDay + 60000, 5);
        bus.insertDedup(now - 5 * kDay, 4);
        bus.insertDedup(now - 2 * kDay - 3600000, 3); // older than 2d, in the edge day
        bus.insertDedup(now - 3600000, 2);
        bus.execute("ANALYZE TABLE " + bus.settings.dedupTable);
        const std::string out = bus.run("cleanup:dedup");
        assertContains(out, "dropped");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), bus.count(bus.settings.dedupTable));
        // Dropped whole: no partition of a day wholly older than the retention is left.
        const auto names = bus.partitionNames(rotation.dedup());
        const std::int64_t edge = core::DailyPartitions::dayStart(now - 2 * kDay);
        CPPUNIT_ASSERT_EQUAL(core::DailyPartitions::nameOf(edge), names.front());

        const std::string delivered = core::deliveredTableOf(bus.settings.outbox.table);
        bus.insertDelivered(now - 6 * kDay + 60000, 4);
        bus.insertDelivered(now - 3 * kDay - 3600000, 3);
        bus.insertDelivered(now - 60000, 2);
        const std::string outbox = bus.run("cleanup:outbox --older-than 3d");
        assertContains(outbox, "dropped");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), bus.count(delivered));
        const auto left = bus.partitionNames(rotation.delivered());
        CPPUNIT_ASSERT_EQUAL(
            core::DailyPartitions::nameOf(core::DailyPartitions::dayStart(now - 3 * kDay)),
            left.front());
    }

    void testSetupRefusesAnUnpartitionedTableAndItsConversionWorks() {
        PartitionedBus bus;
        core::TableNames plain = core::tableNamesOf(bus.settings);
        plain.partitioning.daily = false;
        core::Schema::apply(*bus.database, plain);
        bus.insertDedup(core::nowMillis() - 3600000, 3);
        const std::string out = bus.run("setup --schema-only", 1);
        assertContains(out, "exists unpartitioned but dedup.partitioning = daily");
        assertContains(out, "ALTER TABLE " + bus.settings.dedupTable);

        // The statements it prints convert the tables, rows kept; then setup goes through.
        core::TableNames daily = core::tableNamesOf(bus.settings);
        core::PartitionLayout layout(daily);
        {
            auto session = bus.database->session();
            for (const auto& spec : core::Schema::tables(daily))
                if (!spec.partitionColumn.empty())
                    *session << layout.conversionSql(spec), now;
            CPPUNIT_ASSERT(layout.mismatches(*session).empty());
        }
        bus.run("setup --schema-only");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), bus.count(bus.settings.dedupTable));

        // The other way round: a partitioned dedup table under none is refused (duplicates
        // across days would be missed).
        core::TableNames none = daily;
        none.partitioning.daily = false;
        auto session = bus.database->session();
        const auto problems = core::PartitionLayout(none).mismatches(*session);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), problems.size());
        assertContains(problems.front(), "is partitioned but dedup.partitioning = none");
    }

    void testSqliteRefusesDailyAndNoneKeepsItsTables() {
        const std::string dir = test::tempDir("partsqlite");
        std::map<std::string, std::string> props{{"db.connector", "SQLite"},
                                                 {"db.connection", dir + "/bus.db"},
                                                 {"amqp.url", "amqp://u:p@127.0.0.1:1/%2f"},
                                                 {"dedup.partitioning", "daily"}};
        try {
            core::Settings::load(*test::configFrom(props));
            CPPUNIT_FAIL("SQLite accepted dedup.partitioning = daily");
        } catch (const core::ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("dedup.partitioning"), e.key());
            assertContains(e.what(), "SQLite has no table partitions");
        }
        props["dedup.partitioning"] = "none";
        const auto settings = core::Settings::load(*test::configFrom(props));
        CPPUNIT_ASSERT(!settings.partitioning.daily);
        for (const auto& sql :
             core::Schema::statements(core::Dialect::SQLite, core::tableNamesOf(settings)))
            CPPUNIT_ASSERT(sql.find("PARTITION") == std::string::npos);
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PartitioningTest);
