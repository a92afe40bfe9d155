#!/bin/bash
# Build (if needed) and run the gateway in the foreground on
# 127.0.0.1:18789 (canvas on 18793).  The first run, with no
# ~/.openclaw/openclaw.json, writes one with a random token and shows the
# token.  Arguments go to `openclaw gateway` (e.g. --verbose, --port N).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/setup-deps.sh
[ -x configure ] || autoreconf -fi
mkdir -p _build
cd _build
# shellcheck disable=SC2086
[ -f Makefile ] || ../configure ${CONFIGURE_FLAGS:-}
make -j"$(nproc)" openclaw >&2
cd "$top"
exec ./_build/openclaw gateway --port 18789 "$@"
