#!/bin/bash
# Build osiiso-glib and run its demo program, build/examples/osiiso-demo.
#
#   build-aux/demo.sh [demo arguments...]
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(meson ninja-build pkg-config gcc libglib2.0-dev gobject-introspection
          libgirepository1.0-dev gtk-doc-tools libglib2.0-doc python3-gi gjs
          gettext valgrind libsqlite3-dev)

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

exec build/examples/osiiso-demo "$@"
