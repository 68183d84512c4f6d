#!/bin/sh
# The README's `osiiso run` example, run by build-aux/demo.sh and by the
# test suite:
#
#   examples/cli/run.sh [PATH-TO-OSIISO]
#
# Twenty pretend jobs from inputs.txt ("PRIORITY NAME SECONDS"), four at a
# time, lowest priority number first; a flaky job fails once and a stuck
# one hangs once, and both are retried. On a terminal, osiiso draws a live
# progress line on standard error; then it prints the summary, and this
# script the job log. The exit status is osiiso's.
set -u
here=$(dirname "$0")
osiiso=${1:-osiiso}
OSIISO_EXAMPLE_STATE=$(mktemp -d)
export OSIISO_EXAMPLE_STATE
trap 'rm -rf "$OSIISO_EXAMPLE_STATE"' EXIT

"$osiiso" run -j4 --retries 2 --retry-delay 0.5 --timeout 2 --priority-from 1 \
  --joblog "$OSIISO_EXAMPLE_STATE/joblog.tsv" --input "$here/inputs.txt" \
  -- "$here/work.sh" {}
status=$?

echo
echo "Job log (--joblog):"
cat "$OSIISO_EXAMPLE_STATE/joblog.tsv"
exit $status
