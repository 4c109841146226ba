#!/bin/sh
# Puts xterm.js and its fit addon, as npm's registry serves them, into the gateway's classes
# (web/assets/), for the web terminal's page. The gateway's pom runs this in generate-resources:
#   sh bundle.sh WORK_DIR ASSETS_DIR
# package-lock.json pins each package's version and integrity hash; npm ci installs exactly
# that into WORK_DIR (under target/, so nothing from npm is ever committed), verifying the
# hashes. An install whose lock file is the one here is reused: a build with WORK_DIR left from
# the last one does not run npm at all.
set -eu
if ! command -v npm > /dev/null 2>&1; then
  echo "bundle.sh: the gateway's web terminal takes xterm.js from npm's registry at build time," \
    "and npm is not installed. Install it with: sudo apt-get install -y npm   (or run" \
    "scripts/install-deps.sh as root, which installs everything the build and the tests need)" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
work=$1
assets=$2
mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/node_modules/.installed-from-lock.json"; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  # --ignore-scripts: no package runs code on this machine; --prefer-offline: npm's cache
  # (~/.npm) answers when it holds the pinned tarballs, so a rebuild needs no network
  (cd "$work" && npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error \
    > /dev/null)
  cp "$here/package-lock.json" "$work/node_modules/.installed-from-lock.json"
fi
mkdir -p "$assets"
xterm=$work/node_modules/@xterm
cp "$xterm/xterm/lib/xterm.js" "$xterm/xterm/css/xterm.css" "$xterm/addon-fit/lib/addon-fit.js" \
  "$assets/"
# both are MIT-licensed: their notices travel with them
cp "$xterm/xterm/LICENSE" "$assets/xterm-LICENSE.txt"
cp "$xterm/addon-fit/LICENSE" "$assets/addon-fit-LICENSE.txt"
