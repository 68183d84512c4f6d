#!/bin/sh
# callgrind-w1.sh: W1 marginal instructions per task, under callgrind
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: bench/callgrind-w1.sh [BUILDDIR [CASE...]]   (default: builddir,
#        all four cases: osiiso-thread-submit gtp-resultq
#        osiiso-async-submit gmain-idle-chain)
#
# Runs `osiiso-bench-w1 --single CASE --tasks N` under
# valgrind --tool=callgrind for N = 20000 and N = 40000 and prints
#
#   Ir/task = (Ir(40000) - Ir(20000)) / 20000
#
# the whole-program instruction count difference per extra task. Start-up,
# pool creation and teardown are the same for both N, so they cancel.
# Valgrind runs one thread at a time, so this is the uncontended path; it
# is deterministic to a few per cent, unlike wall time on a shared VM, and
# is the figure to use for regression gates.
#
# A third run at N = 10000 checks that the cost is linear in N: if the
# 10k->20k and 20k->40k increments differ by more than 10 %, a per-task
# figure means little (something costs more the more tasks there are) and
# the script says so.
#
# Each queue case is compared with its raw peer: osiiso-thread-submit
# with gtp-resultq (perf-anchors.md §6 T1: at most 2.5x, about 4,000
# Ir/task) and osiiso-async-submit with gmain-idle-chain (A1 asks for at
# most 1.2x gmain-gtask, about 8,000 Ir/task; gmain-idle-chain is about
# 2,700 Ir/task in the reference harness).
#
# With TOP=N (e.g. TOP=25) the script also prints, for each case, the N
# functions with the largest inclusive cost per task: callgrind_annotate
# --inclusive=yes of both runs, the difference per function divided by
# the difference in tasks. Functions outside the per-task path cancel out.
#
# The callgrind output files stay in OUTDIR (default: a new directory in
# /tmp), e.g. for
#   callgrind_annotate --inclusive=yes OUTDIR/osiiso-thread-submit-40000.out

set -eu

builddir=${1:-builddir}
[ $# -gt 0 ] && shift
bench="$builddir/bench/osiiso-bench-w1"
cases=${*:-"osiiso-thread-submit gtp-resultq osiiso-async-submit gmain-idle-chain"}
top=${TOP:-0}
n_small=10000
n_low=20000
n_high=40000

if [ ! -x "$bench" ]; then
  echo "$bench not found; build it first: ninja -C $builddir bench/osiiso-bench-w1" >&2
  exit 1
fi
if ! command -v valgrind > /dev/null 2>&1; then
  echo "valgrind is not installed" >&2
  exit 1
fi

outdir=${OUTDIR:-$(mktemp -d "${TMPDIR:-/tmp}/osiiso-callgrind-w1.XXXXXX")}
mkdir -p "$outdir"

# The total of the Ir event over all threads, from the output file.
total_ir () {
  awk '/^(summary|totals):/ { print $2; exit }' "$1"
}

run_one () {
  out="$outdir/$1-$2.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$bench" --single "$1" --tasks "$2" > "$outdir/$1-$2.log" 2>&1 || {
    echo "callgrind run of $1 with $2 tasks failed; see $outdir/$1-$2.log" >&2
    exit 1
  }
  total_ir "$out"
}

# Inclusive Ir per function, "Ir<TAB>function", from one output file.
inclusive_ir () {
  callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$1" 2> /dev/null | awk '
    /^ *[0-9][0-9,]* *(\([^)]*\))? +[^ ]/ {
      ir = $1; gsub(",", "", ir)
      line = $0
      sub(/^ *[0-9,]+ *(\([^)]*\))? +/, "", line)
      print ir "\t" line
    }'
}

# The TOP functions by inclusive Ir per task between two runs of a case.
top_per_task () {
  inclusive_ir "$outdir/$1-$2.out" > "$outdir/$1-$2.incl"
  inclusive_ir "$outdir/$1-$3.out" > "$outdir/$1-$3.incl"
  echo "  top inclusive Ir/task of $1:"
  awk -F '\t' -v n=$(($3 - $2)) '
    FNR == NR { low[$2] = $1; next }
    { d = ($1 - low[$2]) / n; if (d >= 1) printf "%10.0f  %s\n", d, $2 }
  ' "$outdir/$1-$2.incl" "$outdir/$1-$3.incl" | sort -rn |
    grep -v -e 'PROGRAM TOTALS' -e '(below main)' -e '__libc_start_main' -e 'ld-linux' -e ':main \[' |
    head -n "$top"
}

printf '%-22s %16s %16s %16s %10s\n' case "Ir(${n_small})" "Ir(${n_low})" "Ir(${n_high})" Ir/task
for c in $cases; do
  ir_small=$(run_one "$c" $n_small)
  ir_low=$(run_one "$c" $n_low)
  ir_high=$(run_one "$c" $n_high)

  # awk for the division: shell arithmetic is integer only.
  per_task=$(awk -v a="$ir_low" -v b="$ir_high" -v n=$((n_high - n_low)) \
    'BEGIN { printf "%.0f", (b - a) / n }')
  printf '%-22s %16s %16s %16s %10s\n' "$c" "$ir_small" "$ir_low" "$ir_high" "$per_task"

  awk -v c="$c" -v s="$ir_small" -v a="$ir_low" -v b="$ir_high" \
    -v ns=$n_small -v nl=$n_low -v nh=$n_high '
    BEGIN {
      m1 = (a - s) / (nl - ns); m2 = (b - a) / (nh - nl)
      if (m2 > 1.1 * m1 || m2 < 0.9 * m1)
        printf "  warning: %s is not linear in N: %.0f Ir/task from %d to %d tasks, " \
               "%.0f Ir/task from %d to %d\n", c, m1, ns, nl, m2, nl, nh > "/dev/stderr"
    }'

  if [ "$top" -gt 0 ]; then
    top_per_task "$c" $n_low $n_high
  fi

  case $c in
    osiiso-thread-submit) per_task_thread=$per_task ;;
    gtp-resultq) per_task_resultq=$per_task ;;
    osiiso-async-submit) per_task_async=$per_task ;;
    gmain-idle-chain) per_task_idle=$per_task ;;
  esac
done

echo
if [ -n "${per_task_thread:-}" ] && [ -n "${per_task_resultq:-}" ]; then
  awk -v o="$per_task_thread" -v g="$per_task_resultq" \
    'BEGIN { printf "osiiso-thread-submit / gtp-resultq:     %.2f x in Ir/task (T1 goal <= 2.5 x)\n", o / g }'
fi
if [ -n "${per_task_async:-}" ] && [ -n "${per_task_idle:-}" ]; then
  awk -v o="$per_task_async" -v g="$per_task_idle" \
    'BEGIN { printf "osiiso-async-submit / gmain-idle-chain: %.2f x in Ir/task\n", o / g }'
fi
if [ -n "${per_task_async:-}" ]; then
  awk -v o="$per_task_async" \
    'BEGIN { printf "osiiso-async-submit: %.0f Ir/task (A1 goal <= ~8,000: 1.2 x gmain-gtask 6,849)\n", o }'
fi
echo "callgrind output: $outdir"
