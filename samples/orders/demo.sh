#!/usr/bin/env bash
# The orders demo (./run demo): SQLite + the local RabbitMQ, the sample producer and plugin.
# Expects what ./run exports: MSGBUS_BUILD_DIR and the services' MSGBUS_TEST_AMQP_URL.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${MSGBUS_BUILD_DIR:?run this through ./run demo}
count=${MSGBUS_DEMO_ORDERS:-1000}
replay=${MSGBUS_DEMO_REPLAY:-25}
work=$(mktemp -d /tmp/msgbus-demo.XXXXXX)
export MSGBUS_DEMO_DB=$work/orders.db
export MSGBUS_AMQP_URL=${MSGBUS_TEST_AMQP_URL:?the services are not running}
export MSGBUS_PLUGIN_DIR=$build/lib/plugins
export MSGBUS_CONFIG=$here/orders.properties
msgbus=$build/core/msgbus
host_pid=

say() { printf 'demo: %s\n' "$*"; }
count_rows() { sqlite3 "$MSGBUS_DEMO_DB" "SELECT COUNT(*) FROM $1" 2>/dev/null || echo 0; }
cleanup() {
    if [ -n "$host_pid" ] && kill -0 "$host_pid" 2>/dev/null; then
        kill -TERM "$host_pid" 2>/dev/null || true
        wait "$host_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

say "database $MSGBUS_DEMO_DB, log $work/host.log"
"$msgbus" setup

"$msgbus" run >"$work/host.log" 2>&1 &
host_pid=$!

start=$(date +%s.%N)
"$build/samples/orders/orders-producer" SQLite "$MSGBUS_DEMO_DB" "$count"

deadline=$((SECONDS + 120))
while :; do
    projected=$(count_rows order_projection)
    confirmed=$(count_rows order_confirmations)
    [ "$projected" -ge "$count" ] && [ "$confirmed" -ge "$count" ] && break
    if [ $SECONDS -ge $deadline ]; then
        say "timed out: $projected of $count orders projected"; tail -20 "$work/host.log"; exit 1
    fi
    sleep 0.1
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
say "all $count orders projected and confirmed in ${elapsed}s (producer commit to handler commit)"

# A relay that crashed between publish and delete republishes: simulate it for $replay events.
"$build/samples/orders/orders-producer" SQLite "$MSGBUS_DEMO_DB" 0 --replay "$replay"
deadline=$((SECONDS + 60))
until [ "$(sqlite3 "$MSGBUS_DEMO_DB" "SELECT COUNT(*) FROM message_broker_deduplication")" -ge $((2 * count)) ] \
    && [ "$(count_rows messenger_outbox)" -eq 0 ]; do
    [ $SECONDS -ge $deadline ] && { say "timed out waiting for the replay"; exit 1; }
    sleep 0.1
done
sleep 1 # let the consumer take the redeliveries off the queue

kill -TERM "$host_pid"
wait "$host_pid"
host_pid=
summary=$(grep -o 'published=.*' "$work/host.log" | tail -1)
val() { echo "$summary" | grep -o "$1=[0-9]*" | cut -d= -f2; }

echo
say "produced:            $count orders (+ $replay events re-sent with their original ids)"
say "relayed:             $(val confirmed) messages confirmed by RabbitMQ (order.placed + order.confirmed)"
say "handled:             $(val consumed)"
say "duplicates skipped:  $(val deduplicated)"
say "projected orders:    $(count_rows order_projection)"
say "confirmations:       $(count_rows order_confirmations)"
say "failed rows:         $(val failed)"
echo
"$msgbus" stats
