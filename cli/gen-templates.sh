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

# Decimal bytes (od -An -v -tu1) to the lines of a C string literal:
# printable ASCII as is but for \ " and ? (no trigraph can form), anything
# else as a three-digit octal escape; a NUL byte is refused.
cstring() {
	awk '
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
				print "gen-templates.sh: NUL byte in input" > "/dev/stderr"
				failed = 1
				exit 1
			}
			pending = 1
			if (b == 10) {
				print "    \"" line "\\n\""
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
			print "    \"" line "\""
	}'
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
	od -An -v -tu1 "$f" | cstring
	echo ';'
done
