#!/bin/sh
# Installs the Debian packages Helpline uses, when they are missing and root or sudo is available.
# Without either it says what is missing and carries on: the gateway runs without them, degraded.
set -eu
PACKAGES="redis-server postgresql kamailio kamailio-sqlite-modules kamailio-tls-modules openssl sip-tester baresip-core espeak-ng sox chromium fonts-liberation"
# The agent panel is built with npm; a machine that already has Node.js keeps its own.
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"

missing=""
for pkg in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "helpline: not root and no password-less sudo; please install:$missing" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "helpline: no apt-get here; please install the equivalents of:$missing" >&2
    exit 0
fi
echo "helpline: installing Debian packages:$missing"
$SUDO apt-get update -qq
# Services are started by Helpline (or its tests) on their own ports, not by the package's init scripts.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
