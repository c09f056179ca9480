#!/usr/bin/env bash
# Throughput of compare --queue with 1, 2, 4, … local `quantforge worker` processes (after pnpm build).
#   bash apps/runner/bench/queue-throughput.sh [workers…]    (default: 1 2 4)
# Each run gets a private redis-server (127.0.0.1, random port, no persistence), so no cell is
# found already finished in the queue. The comparison is the issue-22 acceptance grid on mnist-mlp
# (4 quantizers × 4 bit rates × 2 coders = 32 cells). Prints wall seconds and cells per minute,
# with the load average (other work on the machine skews the numbers).
set -euo pipefail
cli="node $(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/dist/cli.js"
counts=("$@"); [ ${#counts[@]} -gt 0 ] || counts=(1 2 4)
tmp="$(mktemp -d)"; cd "$tmp"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
for n in "${counts[@]}"; do
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  mkdir -p "redis-$n"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "redis-$n" >/dev/null & pids+=($!)
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
  for _ in $(seq "$n"); do $cli worker --queue "redis://127.0.0.1:$port" --quiet & pids+=($!); done
  sleep 3   # let the workers connect (their start-up is not part of the sweep)
  t0=$(date +%s.%N)
  $cli compare --model mnist-mlp --quantizers rtn,uniform-mse,support-region,hessian-ecsq --bits 2,3,4,8 --coders fixed,huffman \
    --queue "redis://127.0.0.1:$port" --out "r-$n" --quiet >/dev/null
  t1=$(date +%s.%N)
  node -e 'const [n,a,b]=process.argv.slice(1).map(Number); const s=b-a; console.log(`${n} worker(s): 32 cells in ${s.toFixed(1)} s = ${(32*60/s).toFixed(1)} cells/min (load ${require("os").loadavg()[0].toFixed(1)})`)' "$n" "$t0" "$t1"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=()
done
