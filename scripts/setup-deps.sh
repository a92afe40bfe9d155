#!/bin/bash
# Install what building, running and testing the gateway needs on Debian 12
# (bookworm): the compiler and autotools, the libraries configure looks for,
# perl's prove and python3 for the tests, lsof for `gateway --force`, mandoc
# for the man pages' test (t/06), systemd for systemd-analyze (t/32
# verifies the units in contrib/; no running systemd is needed), and
# Node.js + npm for the interop tests (t/interop/setup.sh).
#
# Idempotent: asks apt only for what is missing, and does not touch apt at
# all when everything is there.  Needs root (or sudo) only to install.
set -euo pipefail

pkgs=(
	build-essential autoconf automake pkg-config
	libevent-dev libjson-c-dev libyaml-dev libcurl4-openssl-dev libssl-dev
	libhttp-parser-dev libsqlite3-dev
	perl python3 lsof mandoc ca-certificates systemd
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
# Node.js may come from Debian or from elsewhere (NodeSource's nodejs
# bundles npm and conflicts with Debian's npm): go by the commands.
if ! command -v node >/dev/null 2>&1 && ! command -v nodejs >/dev/null 2>&1; then
	missing+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
	missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "setup-deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "setup-deps: not root and no sudo; install: ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
