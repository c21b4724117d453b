#!/usr/bin/env bash
# Single-silo throughput of `albertgen cluster run` against the single-process `albertgen embed --input-jsonl`, and the
# cluster's overhead per shard (scheduling, Orleans calls, state writes, part files). See benchmarks/README.md.
# Usage: benchmarks/cluster/measure.sh [LINES] [REPEATS]   (after dotnet build runtime/AlbertGen.Cli -c Release)
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-6000}
repeats=${2:-2}
cli="dotnet runtime/AlbertGen.Cli/bin/Release/net10.0/AlbertGen.Cli.dll"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work" "$lines" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
corpus = [l.strip() for l in open('../shared/corpora/tinyshakespeare.txt') if len(l) > 20]
for name, count in (('small', 200), ('big', n)):
    with open(f'{work}/{name}.jsonl', 'w') as f:
        for i in range(count):
            f.write(json.dumps({'text': corpus[i % len(corpus)]}) + '\n')
PY

redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
sleep 1
$cli cluster silo --redis "127.0.0.1:$port" --cluster-id bench --advertise 127.0.0.1 --silo-port $((port + 1)) --gateway-port $((port + 2)) >"$work/silo.log" 2>&1 &
pids+=($!)
until grep -q "joined cluster" "$work/silo.log"; do sleep 0.5; done

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>"$work/last.err"; end=$(date +%s.%N); echo "$end - $start" | bc -l; }
# "completed, … (T s, silos busy B s, …)": the job's time from submission to its last part, and the silos' time inside shards.
run_job() {
    $cli cluster run --redis "127.0.0.1:$port" --cluster-id bench --task embed --input "$1" --output "$work/out-$RANDOM" --shard-size "$2" 2>"$work/last.err" >/dev/null
    sed -nE 's/.*completed, .* \(([0-9.]+) s, silos busy ([0-9.]+) s.*/\1 \2/p' "$work/last.err"
}

run_job "$work/small.jsonl" 1000 >/dev/null   # loads the model into the silo
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $lines lines"
for r in $(seq "$repeats"); do
    small=$(seconds $cli embed --input-jsonl "$work/small.jsonl")
    big=$(seconds $cli embed --input-jsonl "$work/big.jsonl")
    single=$(echo "($lines - 200) / ($big - $small)" | bc -l)
    read -r coarse _ < <(run_job "$work/big.jsonl" 1000)
    read -r fine busy < <(run_job "$work/big.jsonl" 50)
    silo=$(echo "$lines / $coarse" | bc -l)
    shards=$(( (lines + 49) / 50 ))
    gap=$(echo "1000 * ($fine - $busy) / $shards" | bc -l)
    printf 'run %d: single process %.0f lines/s (start-up and load subtracted), one silo %.0f lines/s (job time, shards of 1000): ratio %.3f; %d shards of 50: %.2f s, silo busy %.2f s, %.1f ms per shard outside shards\n' \
        "$r" "$single" "$silo" "$(echo "$silo / $single" | bc -l)" "$shards" "$fine" "$busy" "$gap"
done
