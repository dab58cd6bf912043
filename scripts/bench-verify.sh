#!/usr/bin/env bash
# Macro benchmark of the integrity check: `trailsift verify` and `trailsift scan --verify`
# against their physical limit, bare parallel decompression plus SHA-256 of the same bytes,
# in one run.
#
#   scripts/bench-verify.sh [--shape SHAPE] [JSON_MB] [ROUNDS] [WORKDIR]
#                           (defaults: skewed, 2100 MB, 5 rounds, bench-out)
#
# Uses the dump of scripts/bench.sh for that shape (generated here if it is missing; `skewed`,
# the default, has the file sizes of a real trail, `uniform` 415 records in every file), copied
# with hard links and given hourly, RSA-signed digests, one chain per account and region, as
# CloudTrail writes them (tools/src/bin/gen-integrity.rs --sign). Then, in interleaved rounds,
# it times:
#   bare     - libdeflate decompression of every file on N threads, nothing else
#   bare+sha - the same, and the SHA-256 of every file's decompressed bytes (the limit)
#   verify   - trailsift verify with the public key (every log hashed, every chain checked)
#   scan+v   - trailsift scan --verify with the public key (the reports of both)
#   scan     - trailsift scan, for comparison
# and reports medians, the ratios to the limit, and the peak resident memory of each.
set -euo pipefail
cd "$(dirname "$0")/.."

shape=skewed
if [ "${1:-}" = "--shape" ]; then shape="$2"; shift 2; fi
mb="${1:-2100}"
rounds="${2:-5}"
work="${3:-bench-out}"
threads="$(nproc)"
dump="$work/dump-$shape-${mb}mb"
signed="$work/signed-$shape-${mb}mb"

cargo build --quiet --release --locked --bin trailsift --example bare_decompress
cargo build --quiet --release --locked -p trailsift-tools --bin gen-bench-dump --bin gen-integrity
mkdir -p "$work"
if [ ! -f "$dump.stats" ]; then
    rm -rf "$dump"
    echo "generating a ${mb} MB dump in $dump ..."
    target/release/gen-bench-dump "$dump" --mb "$mb" --shape "$shape" | tee "$dump.stats"
fi
if [ ! -f "$signed/signed.stats" ]; then
    rm -rf "$signed"
    mkdir -p "$signed"
    cp -al "$dump" "$signed/dump"
    echo "adding signed digests in $signed/dump ..."
    target/release/gen-integrity --sign "$signed/dump" "$signed" | tee "$signed/signed.stats.tmp"
    mv "$signed/signed.stats.tmp" "$signed/signed.stats"
fi
find "$signed/dump" -type f -exec cat {} + > /dev/null

declare -A times
run() { # name command...
    local name="$1"; shift
    local out
    out="$( { TIMEFORMAT='%R'; time "$@" > /dev/null 2> /dev/null; } 2>&1 )" \
        || { echo "$name failed: $*" >&2; exit 1; }
    times[$name]+="$out "
}
keys="$signed/keys.json"
for round in $(seq "$rounds"); do
    echo "round $round/$rounds"
    run bare target/release/examples/bare_decompress "$signed/dump" --threads "$threads"
    run sha target/release/examples/bare_decompress "$signed/dump" --threads "$threads" --sha256
    run verify target/release/trailsift verify "$signed/dump" --out "$work/verify-report" --force --quiet \
        --threads "$threads" --public-keys "$keys"
    run scanv target/release/trailsift scan "$signed/dump" --out "$work/scanv-report" --force --quiet \
        --threads "$threads" --verify --public-keys "$keys"
    run scan target/release/trailsift scan "$signed/dump" --out "$work/scan-report" --force --quiet \
        --threads "$threads"
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
peak() { # command... -> peak RSS in MiB
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%d", $1 / 1024}'
}
calc() { awk "BEGIN {printf \"%.2f\", $1}"; }
for n in bare sha verify scanv scan; do
    declare "m_$n=$(echo "${times[$n]}" | median)"
done
printf '\n%s shape, %s; medians of %s interleaved rounds, %s threads:\n' "$shape" "$(cat "$signed/signed.stats")" "$rounds" "$threads"
printf '  %-46s %7.3f s\n' "bare decompression" "$m_bare"
printf '  %-46s %7.3f s\n' "bare decompression + SHA-256 (the limit)" "$m_sha"
printf '  %-46s %7.3f s  ratio %s\n' "trailsift verify" "$m_verify" "$(calc "$m_verify / $m_sha")"
printf '  %-46s %7.3f s  ratio %s\n' "trailsift scan --verify" "$m_scanv" "$(calc "$m_scanv / $m_sha")"
printf '  %-46s %7.3f s  ratio to bare %s\n' "trailsift scan" "$m_scan" "$(calc "$m_scan / $m_bare")"
if [ -x /usr/bin/time ]; then
    printf 'peak RSS: verify %s MiB, scan --verify %s MiB\n' \
        "$(peak target/release/trailsift verify "$signed/dump" --out "$work/verify-report" --force --quiet --public-keys "$keys")" \
        "$(peak target/release/trailsift scan "$signed/dump" --out "$work/scanv-report" --force --quiet --verify --public-keys "$keys")"
fi
