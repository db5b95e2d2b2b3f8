#!/bin/bash
# Runs one load test against $TARGET_URL$TARGET_PATH and judges it.
#   TOOL=ab  : ab -r -n $AB_REQUESTS -c $AB_CONCURRENCY  (the classic command);
#              with AB_SECONDS, for that long instead (ab -t), however many requests that is
#   TOOL=wrk : wrk -t $WRK_THREADS -c $WRK_CONNECTIONS -d $WRK_DURATION --latency (keep-alive)
# Prints the tool's report, then "summary: tool=... requests/s=... p50=... p99=... failed=N"
# and, for ab, how the failures split (connect, receive, length, exceptions,
# non-2xx, connections reset by the server).
# Exit status: 0 when every request succeeded, 1 when any failed, 2 when the
# target never answered within $WAIT_SECONDS.
set -u
TARGET_URL=${TARGET_URL:-http://otuserver:8080}
TARGET_PATH=${TARGET_PATH:-/httptest/dir2/page.html}
TOOL=${TOOL:-ab}
AB_REQUESTS=${AB_REQUESTS:-50000}
AB_CONCURRENCY=${AB_CONCURRENCY:-100}
AB_SECONDS=${AB_SECONDS:-}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-100}
WRK_THREADS=${WRK_THREADS:-2}
WAIT_SECONDS=${WAIT_SECONDS:-30}
url="$TARGET_URL$TARGET_PATH"
out=$(mktemp)

echo "waiting for $TARGET_URL/ (up to ${WAIT_SECONDS}s)"
up=no
for _ in $(seq $((WAIT_SECONDS * 5))); do
    if curl -s -o /dev/null -m 2 "$TARGET_URL/"; then up=yes; break; fi
    sleep 0.2
done
if [ "$up" != yes ]; then
    echo "summary: tool=$TOOL target=$url failed=all (the target never came up)"
    exit 2
fi

case "$TOOL" in
ab)
    if [ -n "$AB_SECONDS" ]; then
        # -t first: it implies -n 50000, which the -n after it lifts
        echo "ab -r -t $AB_SECONDS -n 100000000 -c $AB_CONCURRENCY $url"
        ab -r -t "$AB_SECONDS" -n 100000000 -c "$AB_CONCURRENCY" "$url" > "$out" 2>&1
        AB_REQUESTS=$(awk '/^Complete requests/ {print $3}' "$out")
    else
        echo "ab -r -n $AB_REQUESTS -c $AB_CONCURRENCY $url"
        ab -r -n "$AB_REQUESTS" -c "$AB_CONCURRENCY" "$url" > "$out" 2>&1
    fi
    cat "$out"
    rps=$(awk '/^Requests per second/ {print $4}' "$out")
    p50=$(awk '$1 == "50%" {print $2 "ms"}' "$out")
    p99=$(awk '$1 == "99%" {print $2 "ms"}' "$out")
    complete=$(awk '/^Complete requests/ {print $3}' "$out")
    failed=$(awk '/^Failed requests/ {print $3}' "$out")
    non2xx=$(awk '/^Non-2xx responses/ {print $3}' "$out")
    failed=$(( ${failed:-0} + ${non2xx:-0} + ${AB_REQUESTS:-1} - ${complete:-0} ))
    split=$(sed -n 's/^ *(Connect: \([0-9]*\), Receive: \([0-9]*\), Length: \([0-9]*\), Exceptions: \([0-9]*\))/connect=\1 receive=\2 length=\3 exceptions=\4/p' "$out")
    resets=$(grep -c 'reset by peer' "$out")
    detail=" requests=${complete:-0} ${split:-connect=0 receive=0 length=0 exceptions=0} non2xx=${non2xx:-0} resets=$resets"
    ;;
wrk)
    echo "wrk -t $WRK_THREADS -c $WRK_CONNECTIONS -d $WRK_DURATION --latency $url"
    wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "$WRK_DURATION" --latency "$url" > "$out" 2>&1
    cat "$out"
    rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    non2xx=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$out")
    sock=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$out")
    failed=${non2xx:-0}
    for n in $sock; do failed=$((failed + n)); done
    [ -n "$rps" ] || failed=$((failed + 1))
    ;;
*)
    echo "summary: unknown TOOL '$TOOL' (ab or wrk)"
    exit 2
    ;;
esac
rm -f "$out"
echo "summary: tool=$TOOL target=$url requests/s=${rps:-?} p50=${p50:-?} p99=${p99:-?} failed=$failed${detail:-}"
[ "$failed" -eq 0 ]
