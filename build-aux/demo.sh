#!/bin/bash
# Build osiiso-glib and run the README's example of the osiiso command-line
# tool, examples/cli/run.sh: `osiiso run` over the sample inputs in
# examples/cli/ (a live progress line on a terminal, then the summary and
# the job log). The library's own demo is build/examples/osiiso-demo.
#
#   build-aux/demo.sh
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(meson ninja-build pkg-config gcc libglib2.0-dev gobject-introspection
          libgirepository1.0-dev gtk-doc-tools libglib2.0-doc python3-gi gjs
          gettext valgrind libsqlite3-dev xsltproc docbook-xsl docbook-xml)

if [ "$(id -u)" = 0 ]; then
  apt-get update || echo "demo.sh: warning: apt-get update failed" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}" \
    || echo "demo.sh: warning: apt-get install failed; using what is installed" >&2
else
  echo "demo.sh: not root, skipping apt-get install of: ${PACKAGES[*]}" >&2
fi

if [ ! -f build/meson-private/coredata.dat ]; then
  rm -rf build
  meson setup build
fi
meson compile -C build

exec examples/cli/run.sh build/tools/osiiso
