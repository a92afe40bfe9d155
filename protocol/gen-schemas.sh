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

# Read decimal byte values (od -An -v -tu1) and print them as the body of a
# C string literal, one literal per source line.  Printable ASCII stays as
# is except \ " and ? (the latter so that no trigraph can form); anything
# else becomes a three-digit octal escape, which cannot swallow a following
# digit.  A NUL byte would silently truncate the string: refuse it.
cstring() {
	awk -v indent="$1" '
	BEGIN {
		for (i = 32; i < 127; i++)
			chr[i] = sprintf("%c", i)
		chr[34] = "\\\""
		chr[63] = "\\?"
		chr[92] = "\\\\"
		line = ""
		pending = 0
	}
	{
		for (i = 1; i <= NF; i++) {
			b = $i + 0
			if (b == 0) {
				msg = "gen-schemas.sh: NUL byte in input"
				print msg > "/dev/stderr"
				failed = 1
				exit 1
			}
			pending = 1
			if (b == 10) {
				print indent "\"" line "\\n\""
				line = ""
				pending = 0
			} else if (b == 9)
				line = line "\\t"
			else if (b >= 32 && b < 127)
				line = line chr[b]
			else
				line = line sprintf("\\%03o", b)
		}
	}
	END {
		if (failed)
			exit 1
		if (pending || NR == 0)
			print indent "\"" line "\""
	}'
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
