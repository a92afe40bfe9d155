#!/bin/bash
# The test command: install what is missing, build from scratch in _build,
# install the interop clients (npm), and run every test (make check: prove
# over the C unit tests and t/*.t).  Extra configure flags: CONFIGURE_FLAGS.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/setup-deps.sh
autoreconf -fi
mkdir -p _build
cd _build
# shellcheck disable=SC2086
../configure ${CONFIGURE_FLAGS:-}
make -j"$(nproc)"
# The npm clients of the interop tests: under CI their absence fails the
# run; elsewhere those tests skip themselves.
if ! "$top/t/interop/setup.sh" >/dev/null; then
	case "${CI:-}" in
	"" | 0 | false | no) echo "test.sh: interop clients not installed;" \
	    "t/9*-interop-*.t will skip" >&2 ;;
	*) exit 1 ;;
	esac
fi
make check
