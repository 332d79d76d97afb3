#!/usr/bin/env bash
# Runs the msgbus benchmark (msgbus-bench) against the local MariaDB and RabbitMQ and prints one
# line per figure: `bench: <name>: <value> <unit>`, ratio lines and `bench: note: ...` context.
#
# Called by `./run bench`, which builds, starts the services (and the three-node RabbitMQ cluster
# when the "quorum" figure is selected) when needed and exports MSGBUS_TEST_MYSQL,
# MSGBUS_TEST_AMQP_URL, MSGBUS_TEST_CLUSTER_URLS, MSGBUS_BUILD_DIR and MSGBUS_SOURCE_DIR. Run by
# hand (the "quorum" figure fails unless tests/support/services.sh cluster-start ran first):
#   eval "$(tests/support/services.sh env)"; MSGBUS_BUILD_DIR=build tests/bench/run-bench.sh
# Knobs (see tests/bench/BenchMain.cpp): BENCH_ONLY=raw,relay,phases,latency,inbox,inboxphases,inboxbatch,
# e2e,quorum,scheduled,outage (the e2e database outage test for BENCH_OUTAGE_SECONDS),soak (never by
# default: `msgbus run` for BENCH_SOAK_SECONDS at BENCH_SOAK_RATE orders/s), cleanup (never by
# default: DELETE vs DROP PARTITION of BENCH_CLEANUP_ROWS dedup rows by msgbus cleanup:dedup while the inbox
# handles BENCH_CLEANUP_RATE msg/s; BENCH_CLEANUP_MODES=drop or delete runs one), BENCH_ROWS, BENCH_RAW_MESSAGES, BENCH_RATE, BENCH_SECONDS, BENCH_INBOX_MESSAGES,
# BENCH_QUORUM_ROWS, BENCH_QUORUM_INBOX_MESSAGES, ...
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

die() {
    echo "run-bench: ERROR: $*" >&2
    exit 2
}

BUILD_DIR="${MSGBUS_BUILD_DIR:-$ROOT/build}"
BENCH_BIN="$BUILD_DIR/tests/bench/msgbus-bench"
# The soak starts the msgbus binary and the orders producer of this build.
export MSGBUS_BUILD_DIR="$BUILD_DIR"
[ -x "$BENCH_BIN" ] ||
    die "$BENCH_BIN not found: build it (cmake --build $BUILD_DIR --target msgbus-bench) or set MSGBUS_BUILD_DIR"

if [ -z "${MSGBUS_TEST_MYSQL:-}" ] || [ -z "${MSGBUS_TEST_AMQP_URL:-}" ]; then
    eval "$("$ROOT/tests/support/services.sh" env)"
elif [ -z "${MSGBUS_TEST_CLUSTER_URLS:-}" ]; then
    # The caller chose the other services: take only the cluster's URLs (set only while the
    # cluster runs; without them the "quorum" figure reports the failure).
    MSGBUS_TEST_CLUSTER_URLS="$(
        eval "$("$ROOT/tests/support/services.sh" env)"
        printf '%s' "${MSGBUS_TEST_CLUSTER_URLS:-}"
    )"
fi
export MSGBUS_TEST_MYSQL MSGBUS_TEST_AMQP_URL
[ -z "${MSGBUS_TEST_CLUSTER_URLS:-}" ] || export MSGBUS_TEST_CLUSTER_URLS
export MSGBUS_PLUGIN_DIR="${MSGBUS_PLUGIN_DIR:-$BUILD_DIR/lib/plugins}"
[ -f "$MSGBUS_PLUGIN_DIR/libmsgbus-bench-handlers.so" ] ||
    die "$MSGBUS_PLUGIN_DIR/libmsgbus-bench-handlers.so not found (build the msgbus-bench target)"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

echo "bench: note: $(nproc) cores; load average at start $(loadavg); other clients of the same services make the figures noisy"
rc=0
# "outage" is no figure of msgbus-bench: the e2e database outage test, run long (MariaDB stopped
# for BENCH_OUTAGE_SECONDS, 600 by default, quorum queues with x-delivery-limit 50 and the
# default inbox.max_redeliveries), which no message may survive worse than one return.
only=",${BENCH_ONLY:-},"
only="${only//[[:space:]]/}"
if [ "$only" != "${only/,outage,/,}" ]; then
    E2E_BIN="$BUILD_DIR/tests/msgbus-e2e-tests"
    [ -x "$E2E_BIN" ] || die "$E2E_BIN not found (build the msgbus-e2e-tests target)"
    eval "$("$ROOT/tests/support/services.sh" env)"
    export MSGBUS_SERVICES_SCRIPT MSGBUS_SERVICES_DIR MSGBUS_TEST_AMQP_MANAGEMENT_URL
    export MSGBUS_BUILD_DIR="$BUILD_DIR" MSGBUS_SOURCE_DIR="$ROOT"
    echo "bench: note: outage: MariaDB stopped for ${BENCH_OUTAGE_SECONDS:-600} s under the inbox"
    MSGBUS_OUTAGE_SECONDS="${BENCH_OUTAGE_SECONDS:-600}" MSGBUS_OUTAGE_DELIVERY_LIMIT=50 \
        MSGBUS_OUTAGE_MAX_REDELIVERIES=5 "$E2E_BIN" \
        "DatabaseOutageTest/DatabaseOutageTest::testQuorumQueuesLoseNothingWhileTheDatabaseIsAway" ||
        rc=$?
    only="${only//,outage,/,}"
    BENCH_ONLY="${only#,}"
    BENCH_ONLY="${BENCH_ONLY%,}"
    export BENCH_ONLY
    if [ -z "$BENCH_ONLY" ]; then
        echo "bench: note: load average at the end $(loadavg)"
        exit "$rc"
    fi
fi
"$BENCH_BIN" || rc=$?
echo "bench: note: load average at the end $(loadavg)"
exit "$rc"
