#!/bin/bash
# W4a for the command-line tool: 2,000 one-shot /bin/true children, 2 at a
# time, through `osiiso run -j2` beside `xargs -P2` and GNU parallel
# (`parallel --will-cite -j2`, Debian package `parallel`; skipped without
# it). Each runner gets the same input (the numbers 1..N, one per line,
# each appended to /bin/true as its argument) on standard input, with its
# output discarded.
#
#   bench/w4a-cli.sh [--osiiso PATH] [--rounds N] [--tasks N]
#
# Method: the runners take turns within each round, the order rotating
# from round to round, so that drift in the machine's load hits them alike;
# each round gives paired ratios osiiso/peer (below 1 = osiiso faster).
# The report gives each runner's median wall time and the median, minimum
# and maximum of the paired ratios. The numbers are wall-clock times of
# whole processes: noisy on a shared machine, so read the medians.
set -euo pipefail

cd "$(dirname "$0")/.."

osiiso=build/tools/osiiso
rounds=5
tasks=2000
while [ $# -gt 0 ]; do
  case $1 in
    --osiiso) osiiso=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --tasks) tasks=$2; shift 2 ;;
    *) echo "usage: $0 [--osiiso PATH] [--rounds N] [--tasks N]" >&2; exit 2 ;;
  esac
done
[ -x "$osiiso" ] || { echo "$0: no osiiso at $osiiso (build it, or pass --osiiso)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seq "$tasks" > "$work/input"

runners=(osiiso xargs)
if command -v parallel >/dev/null && parallel --will-cite --version >/dev/null 2>&1; then
  runners+=(parallel)
else
  echo "$0: GNU parallel not found: skipping it (apt-get install parallel)" >&2
fi

run_one () {
  case $1 in
    osiiso)   "$osiiso" run -q -j2 -- /bin/true ;;
    xargs)    xargs -P2 -n1 /bin/true ;;
    parallel) parallel --will-cite -j2 /bin/true ;;
  esac < "$work/input" > /dev/null
}

# One warm-up run each (page cache, parallel's Perl startup).
for r in "${runners[@]}"; do run_one "$r"; done

n=${#runners[@]}
for ((round = 0; round < rounds; round++)); do
  for ((k = 0; k < n; k++)); do
    r=${runners[$(((round + k) % n))]}
    start=$EPOCHREALTIME
    run_one "$r"
    end=$EPOCHREALTIME
    echo "$round $r $start $end" >> "$work/times"
  done
done

awk -v tasks="$tasks" -v rounds="$rounds" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { t[$1, $2] = $4 - $3; seen[$2] = 1 }
  END {
    printf "W4a-cli: %d x /bin/true, 2 at a time, %d interleaved rounds (wall seconds)\n", tasks, rounds
    for (r in seen) {
      for (i = 0; i < rounds; i++) v[i + 1] = t[i, r]
      m[r] = median(v, rounds)
    }
    printf "  %-9s median %7.3f s  (%6.0f tasks/s)\n", "osiiso", m["osiiso"], tasks / m["osiiso"]
    for (r in seen) if (r != "osiiso")
      printf "  %-9s median %7.3f s  (%6.0f tasks/s)\n", r, m[r], tasks / m[r]
    for (r in seen) if (r != "osiiso") {
      min = 1e9; max = 0
      for (i = 0; i < rounds; i++) {
        q = t[i, "osiiso"] / t[i, r]; v[i + 1] = q
        if (q < min) min = q; if (q > max) max = q
      }
      printf "  osiiso/%-9s paired ratio: median %.3f  (min %.3f, max %.3f; < 1 = osiiso faster)\n", r, median(v, rounds), min, max
    }
  }' "$work/times"
