#!/bin/bash
# The test command: install what is missing, build from scratch in _build,
# install the interop clients (npm), and run every test (make check: prove
# over the C unit tests and t/*.t).  Extra configure flags: CONFIGURE_FLAGS.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# SANITIZE=1 (or CI) adds the sanitizer and fuzz runs below; the harness
# reads SANITIZE as "the binary is sanitized", so the plain run goes without.
sanitize=${SANITIZE:-}
unset SANITIZE

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

# Sanitizers and fuzzing, under CI or with SANITIZE=1 (a developer's default
# run stays quick): a second tree built with ASan+UBSan runs the suite in
# quick mode with LeakSanitizer on (a worker's report reaches only its log:
# the harness scans the gateway's output, t/lib/gwtest/check.py), then each fuzz
# target runs for 20 s on a copy of its corpus.
case "${CI:-}" in "" | 0 | false | no) ;; *) sanitize=1 ;; esac
case "$sanitize" in "" | 0) exit 0 ;; esac
fuzz_cc_ok() {
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n%s\n' \
	    '{ (void)d; (void)n; return 0; }' | clang -x c \
	    -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1
}
if ! fuzz_cc_ok; then
	echo "test.sh: installing clang and libclang-rt-14-dev (fuzz targets)" >&2
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	{ "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q \
	    --no-install-recommends clang libclang-rt-14-dev; } || true
fi
san_cc=gcc
command -v clang >/dev/null 2>&1 && san_cc=clang
cd "$top"
mkdir -p _build-san
cd _build-san
# shellcheck disable=SC2086
../configure --enable-sanitizers CC=$san_cc ${CONFIGURE_FLAGS:-}
make -j"$(nproc)"
rc=0
SANITIZE=1 QUICK=1 ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 make check || rc=1
if fuzz_cc_ok; then
	{ make -j"$(nproc)" fuzz && make fuzz-run FUZZ_SECONDS=20; } || rc=1
else
	echo "test.sh: no clang with libFuzzer: fuzz targets not run" >&2
	case "${CI:-}" in "" | 0 | false | no) ;; *) rc=1 ;; esac
fi
exit $rc
