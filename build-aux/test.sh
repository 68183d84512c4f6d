#!/bin/bash
# Build osiiso-glib from a clean state and run its test suite.
#
#   build-aux/test.sh
#
# Installs the Debian 12 build dependencies (needs root; skipped with a
# warning otherwise), configures build/ with -Dwerror=true (wiping an existing
# build/), compiles (library, GIR, typelib, translations, GTK-Doc) and runs
# `meson test`. Exit status: meson test's own (0 = all passed), or 100 when
# the setup or the build itself failed.
set -uo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(meson ninja-build pkg-config gcc libglib2.0-dev gobject-introspection
          libgirepository1.0-dev gtk-doc-tools libglib2.0-doc python3-gi gjs
          gettext valgrind libsqlite3-dev xsltproc docbook-xsl docbook-xml)

if [ "$(id -u)" = 0 ]; then
  apt-get update || echo "test.sh: warning: apt-get update failed" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}" \
    || echo "test.sh: warning: apt-get install failed; using what is installed" >&2
else
  echo "test.sh: not root, skipping apt-get install of: ${PACKAGES[*]}" >&2
fi

BUILDDIR=${BUILDDIR:-build}

if [ -f "$BUILDDIR/meson-private/coredata.dat" ]; then
  meson setup "$BUILDDIR" -Dwerror=true --wipe || exit 100
else
  rm -rf "$BUILDDIR"
  meson setup "$BUILDDIR" -Dwerror=true || exit 100
fi

meson compile -C "$BUILDDIR" || exit 100

rm -f "$BUILDDIR/meson-logs/testlog.json"
meson test -C "$BUILDDIR" --print-errorlogs
