#!/bin/sh
#
# Embed JSON Schema files in C: prints a C file defining proto_schema_srcs[]
# (see protocol/schemas.h) with one {basename, contents} entry per argument.
#
# usage: sh protocol/gen-schemas.sh protocol/schema/*.json > protocol/schemas.c
#
# Only POSIX sh, od and awk: bytes go through od so that awk never sees
# multibyte characters, whatever the locale.

set -e
LC_ALL=C
export LC_ALL

# Bytes to C string literal lines (scripts/cstring.awk); $1: the indent.
cstring() {
	awk -v indent="$1" -f "$(dirname "$0")/../scripts/cstring.awk"
}

echo '/* Generated from protocol/schema/ by protocol/gen-schemas.sh. */'
echo '#include "config.h"'
echo
echo '#include <stddef.h>'
echo
echo '#include "protocol/schemas.h"'
echo
echo 'const struct proto_schema_src proto_schema_srcs[] = {'
for f in "$@"; do
	if [ ! -f "$f" ] || [ ! -r "$f" ]; then
		echo "gen-schemas.sh: $f: cannot read" >&2
		exit 1
	fi
	echo '	{'
	printf '%s' "${f##*/}" | od -An -v -tu1 | cstring '	    ' |
	    sed '$s/$/,/'
	od -An -v -tu1 "$f" | cstring '	    '
	echo '	},'
done
echo '	{ NULL, NULL }'
echo '};'
