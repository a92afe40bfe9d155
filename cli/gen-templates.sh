#!/bin/sh
#
# Embed the service templates of contrib/ in C, so that `openclaw gateway
# install` writes what the build also fills into contrib/ of the build
# directory: one source for both.  Prints a C file defining one
#   const char svc_tmpl_<name>[]
# per "name=path" argument (cli/service.h declares them).
#
# usage: sh cli/gen-templates.sh system=contrib/.../x.service.in ... > out.c
#
# Only POSIX sh, od and awk, as protocol/gen-schemas.sh: bytes go through
# od so that awk never sees multibyte characters, whatever the locale.

set -e
LC_ALL=C
export LC_ALL

# Bytes to C string literal lines (scripts/cstring.awk); $1: the indent.
cstring() {
	awk -v indent="$1" -f "$(dirname "$0")/../scripts/cstring.awk"
}

echo '/* Generated from contrib/ by cli/gen-templates.sh. */'
echo '#include "config.h"'
echo
echo '#include "cli/service.h"'
for arg in "$@"; do
	name=${arg%%=*}
	f=${arg#*=}
	if [ ! -f "$f" ] || [ ! -r "$f" ]; then
		echo "gen-templates.sh: $f: cannot read" >&2
		exit 1
	fi
	echo
	echo "const char svc_tmpl_$name[] ="
	od -An -v -tu1 "$f" | cstring "    "
	echo ';'
done
