#!/bin/sh
# One task of the `osiiso run` example (examples/cli/run.sh): its input
# line is "PRIORITY NAME SECONDS"; it pretends to work on NAME for SECONDS.
# A flaky-* task fails its first attempt, and a stuck-* task hangs on its
# first attempt (until --timeout kills it): both succeed when retried. The
# first attempts are remembered in $OSIISO_EXAMPLE_STATE.
set -eu
set -- $1   # the fields of the input line
name=$2
seconds=$3
state=${OSIISO_EXAMPLE_STATE:?set OSIISO_EXAMPLE_STATE to a scratch directory}

if [ ! -e "$state/$name.seen" ]; then
  : > "$state/$name.seen"
  case $name in
    flaky-*) echo "$name: connection reset" >&2; exit 75 ;;
    stuck-*) exec sleep 600 ;;
  esac
fi
sleep "$seconds"
echo "$name: done in ${seconds}s"
