#!/usr/bin/env bash
# Macro benchmark: trailsift against bare parallel decompression of the same files, in one run.
#
#   scripts/bench.sh [--shape SHAPE] [JSON_MB] [ROUNDS] [WORKDIR]
#                    (defaults: skewed, 2100 MB, 5 rounds, bench-out)
#
# Generates (once per shape and size) a realistic dump with the repository's own generator:
# records of ~1.5 KB, a compression ratio of ~7.6, 0.2 % of records the five credential events,
# file sizes of SHAPE (tools/src/bench.rs): `skewed` (log-normal, a heavy us-east-1, a quarter
# of the files a record or two: the largest quarter of the files holds ~75 % of the bytes),
# `uniform` (415 records per file), `huge-file` (one file holds half the records, the rest
# small), `tiny-files` (one to three records per file).
# Then, in interleaved rounds so that a noisy, shared machine slows every contender alike, it
# times:
#   bare   - libdeflate decompression of every file on N threads, nothing else
#            (examples/bare_decompress.rs, the same inflater and buffers as trailsift)
#   scan   - trailsift scan with the default events on N threads (reports written)
#   scan1  - the same on 1 thread, and bare1, for the scaling
# and reports medians, MB/s of JSON, the ratio scan/bare (wall clock, and CPU time, which a
# busy neighbour on a shared machine disturbs less), the 1 -> N thread speed-up and the peak
# resident memory of trailsift (from /usr/bin/time, or getrusage when it is missing), and the
# time each thread was busy reading (bare: its own count; trailsift: run.json's `timing`).
# When Python can import duckdb (pip install duckdb), it also times DuckDB reading the same
# files, unnesting the records and keeping the same five events (2 threads; BENCH_DUCKDB=0
# skips it).
# BENCH_ALL_EVENTS=1 adds, after those rounds, interleaved rounds of `trailsift scan
# --all-events` (every event, all reports, CSV) against DuckDB flattening the same records to a
# 16-column CSV sorted by time (when duckdb is importable), with the peak memory of each.
set -euo pipefail
cd "$(dirname "$0")/.."

shape=skewed
if [ "${1:-}" = "--shape" ]; then shape="$2"; shift 2; fi
mb="${1:-2100}"
rounds="${2:-5}"
work="${3:-bench-out}"
threads="$(nproc)"
dump="$work/dump-$shape-${mb}mb"

cargo build --quiet --release --locked --bin trailsift --example bare_decompress
cargo build --quiet --release --locked -p trailsift-tools --bin gen-bench-dump
mkdir -p "$work"
if [ ! -f "$dump.stats" ]; then
    rm -rf "$dump"
    echo "generating a ${mb} MB dump in $dump ..."
    target/release/gen-bench-dump "$dump" --mb "$mb" --shape "$shape" | tee "$dump.stats"
fi

json_bytes="$(sed -n 's/.*json_bytes=\([0-9]*\).*/\1/p' "$dump.stats")"
gzip_bytes="$(sed -n 's/.*gzip_bytes=\([0-9]*\).*/\1/p' "$dump.stats")"
files="$(sed -n 's/.*files=\([0-9]*\).*/\1/p' "$dump.stats")"
records="$(sed -n 's/.*records=\([0-9]*\) .*/\1/p' "$dump.stats")"

# Warm the page cache: every contender reads the files from memory, not disk.
find "$dump" -type f -exec cat {} + > /dev/null

declare -A times cpu
run() { # name command...
    local name="$1"; shift
    local out wall user sys
    # bash's own `time`: wall, user and system seconds of the command and its children.
    out="$( { TIMEFORMAT='%R %U %S'; time "$@" > /dev/null 2> /dev/null; } 2>&1 )" \
        || { echo "$name failed: $*" >&2; exit 1; }
    read -r wall user sys <<< "$out"
    times[$name]+="$wall "
    cpu[$name]+="$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.3f", u + s}') "
}
scan() { # threads (the previous run's reports are removed before the clock starts)
    target/release/trailsift scan "$dump" --out "$work/report" --quiet --threads "$1"
}

duck=""
if [ "${BENCH_DUCKDB:-1}" = 1 ] && python3 -c 'import duckdb' 2>/dev/null; then duck=1; fi
duckdb_filter() {
    python3 - "$dump" "$threads" <<'PY'
import sys, duckdb
con = duckdb.connect()
con.execute(f"SET threads = {int(sys.argv[2])}")
n = con.execute(f"""
    SELECT count(*) FROM (
        SELECT unnest(Records, max_depth := 2) FROM read_json('{sys.argv[1]}/**/*.json.gz',
            columns = {{'Records': 'STRUCT(eventSource VARCHAR, eventName VARCHAR, eventTime VARCHAR,
                        eventID VARCHAR, userIdentity JSON, requestParameters JSON)[]'}},
            maximum_object_size = 1073741824)
    ) WHERE eventSource = 'iam.amazonaws.com' AND eventName IN ('EnableMFADevice',
        'ResyncMFADevice', 'CreateVirtualMFADevice', 'ChangePassword', 'UpdateAccessKey')
""").fetchone()[0]
print(n)
PY
}

duckdb_flatten() { # output CSV
    python3 - "$dump" "$threads" "$1" <<'PY'
import sys, duckdb
con = duckdb.connect()
con.execute(f"SET threads = {int(sys.argv[2])}")
con.execute(f"""
COPY (
  SELECT r.eventTime AS event_time, r.eventName AS event_name, r.eventSource AS event_source,
         r.recipientAccountId AS account, r.awsRegion AS region,
         r.userIdentity.type AS actor_type, r.userIdentity.arn AS actor_arn,
         r.userIdentity.accessKeyId AS actor_key, r.userIdentity.userName AS actor,
         r.sourceIPAddress AS source_ip, r.userAgent AS user_agent,
         r.errorCode AS error_code, r.errorMessage AS error_message,
         r.eventID AS event_id, r.requestID AS request_id, r.requestParameters AS request_parameters
  FROM (SELECT unnest(Records) AS r FROM read_json('{sys.argv[1]}/**/*.json.gz',
        columns = {{'Records': 'STRUCT(eventTime VARCHAR, eventName VARCHAR, eventSource VARCHAR,
            recipientAccountId VARCHAR, awsRegion VARCHAR,
            userIdentity STRUCT(type VARCHAR, arn VARCHAR, accessKeyId VARCHAR, userName VARCHAR),
            sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR,
            eventID VARCHAR, requestID VARCHAR, requestParameters JSON)[]'}},
        maximum_object_size = 33554432))
  ORDER BY event_time, event_id
) TO '{sys.argv[3]}' (HEADER, DELIMITER ',')
""")
PY
}

for round in $(seq "$rounds"); do
    echo "round $round/$rounds"
    run bare target/release/examples/bare_decompress "$dump" --threads "$threads"
    rm -rf "$work/report"
    run scan scan "$threads"
    run bare1 target/release/examples/bare_decompress "$dump" --threads 1
    rm -rf "$work/report"
    run scan1 scan 1
    if [ -n "$duck" ]; then run duck duckdb_filter; fi
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
bare="$(echo "${times[bare]}" | median)"
scan_t="$(echo "${times[scan]}" | median)"
bare1="$(echo "${times[bare1]}" | median)"
scan1="$(echo "${times[scan1]}" | median)"
cpu_bare="$(echo "${cpu[bare]}" | median)"
cpu_scan="$(echo "${cpu[scan]}" | median)"
# The fastest round of each: noise from other tenants only ever adds time.
fastest() { tr ' ' '\n' | grep -v '^$' | sort -g | head -1; }
best_bare="$(echo "${times[bare]}" | fastest)"
best_scan="$(echo "${times[scan]}" | fastest)"

# Peak memory of one more scan.
rm -rf "$work/report"
if [ -x /usr/bin/time ]; then
    peak_kb="$(/usr/bin/time -f '%M' target/release/trailsift scan "$dump" --out "$work/report" --quiet --threads "$threads" 2>&1 >/dev/null | tail -1)"
else
    peak_kb="$(python3 -c 'import resource,subprocess,sys; subprocess.run(sys.argv[1:], check=False); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
        target/release/trailsift scan "$dump" --out "$work/report" --quiet --threads "$threads")"
fi
events="$(($(wc -l < "$work/report/events.csv") - 1))"
scan_busy="$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["timing"]; print(", ".join("%.2f" % s for s in t["thread_busy_seconds"]), "s of", "%.2f" % t["reading_seconds"], "s reading")' "$work/report/run.json")"
bare_busy="$(target/release/examples/bare_decompress "$dump" --threads "$threads" | sed -n 's/.*wall_s=\([0-9.]*\).*busy_s=\(.*\)/\2 s of \1 s/p' | sed 's/,/ s, /g')"

calc() { awk "BEGIN {printf \"%.2f\", $1}"; }
mbs() { awk -v b="$json_bytes" -v t="$1" 'BEGIN {printf "%d", b / 1000000 / t}'; }
printf '\ndump: %s files, %s records, %s MB of JSON, %s MB gzipped, %s events reported\n' \
    "$files" "$records" "$((json_bytes / 1000000))" "$((gzip_bytes / 1000000))" "$events"
printf 'medians of %s interleaved rounds, %s threads:\n' "$rounds" "$threads"
printf '  %-44s %7.3f s  %6s MB/s\n' "bare decompression (libdeflate, $threads threads)" "$bare" "$(mbs "$bare")"
printf '  %-44s %7.3f s  %6s MB/s\n' "trailsift scan ($threads threads)" "$scan_t" "$(mbs "$scan_t")"
printf '  %-44s %7.3f s  %6s MB/s\n' "bare decompression (1 thread)" "$bare1" "$(mbs "$bare1")"
printf '  %-44s %7.3f s  %6s MB/s\n' "trailsift scan (1 thread)" "$scan1" "$(mbs "$scan1")"
printf 'ratio trailsift / bare decompression (%s threads): %s\n' "$threads" "$(calc "$scan_t / $bare")"
printf 'ratio trailsift / bare decompression (1 thread):  %s\n' "$(calc "$scan1 / $bare1")"
printf 'fastest rounds, %s threads: bare %.3f s, trailsift %.3f s, ratio %s\n' \
    "$threads" "$best_bare" "$best_scan" "$(calc "$best_scan / $best_bare")"
printf 'CPU time (user + system), %s threads: bare %.2f s, trailsift %.2f s, ratio %s\n' \
    "$threads" "$cpu_bare" "$cpu_scan" "$(calc "$cpu_scan / $cpu_bare")"
printf 'scaling 1 -> %s threads: trailsift x%s, bare x%s\n' "$threads" "$(calc "$scan1 / $scan_t")" "$(calc "$bare1 / $bare")"
printf 'peak RSS of trailsift (%s threads): %s MiB\n' "$threads" "$((peak_kb / 1024))"
printf 'busy per thread: bare %s; trailsift %s\n' "$bare_busy" "$scan_busy"
if [ -n "$duck" ]; then
    duck_t="$(echo "${times[duck]}" | median)"
    printf 'DuckDB read_json + unnest + filter (%s threads): %.3f s, ratio to trailsift %s\n' \
        "$threads" "$duck_t" "$(calc "$duck_t / $scan_t")"
fi

if [ "${BENCH_ALL_EVENTS:-0}" = 1 ]; then
    peak() { # peak resident KiB of a command
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1
        else
            python3 -c 'import resource,subprocess,sys; subprocess.run(sys.argv[1:], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
        fi
    }
    all_events() {
        target/release/trailsift scan "$dump" --out "$work/report-all" --quiet --threads "$threads" --all-events --format csv
    }
    for round in $(seq "$rounds"); do
        echo "all-events round $round/$rounds"
        rm -rf "$work/report-all"
        run all all_events
        if [ -n "$duck" ]; then
            rm -f "$work/duckdb-flat.csv"
            run flat duckdb_flatten "$work/duckdb-flat.csv"
        fi
    done
    all_t="$(echo "${times[all]}" | median)"
    rm -rf "$work/report-all"
    all_kb="$(peak target/release/trailsift scan "$dump" --out "$work/report-all" --quiet --threads "$threads" --all-events --format csv)"
    all_rows="$(($(wc -l < "$work/report-all/events.csv") - 1))"
    phases="$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["timing"]; print(", ".join("%s %.1f s" % (p["phase"], p["seconds"]) for p in t["phases"]))' "$work/report-all/run.json")"
    printf '\n--all-events (%s threads, medians of %s rounds): %.2f s, %s events, peak RSS %s MiB\n' \
        "$threads" "$rounds" "$all_t" "$all_rows" "$((all_kb / 1024))"
    printf '  phases of the last run: %s\n' "$phases"
    if [ -n "$duck" ]; then
        flat_t="$(echo "${times[flat]}" | median)"
        rm -f "$work/duckdb-flat.csv"
        export dump threads
        export -f duckdb_flatten
        flat_kb="$(peak bash -c 'duckdb_flatten "$0"' "$work/duckdb-flat.csv")"
        printf 'DuckDB flatten to a 16-column CSV sorted by time (%s threads): %.2f s, peak RSS %s MiB\n' \
            "$threads" "$flat_t" "$((flat_kb / 1024))"
        printf 'ratio trailsift --all-events / DuckDB flatten: %s\n' "$(calc "$all_t / $flat_t")"
    fi
fi
