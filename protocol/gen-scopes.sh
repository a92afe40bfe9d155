#!/bin/sh
#
# Turn protocol/method-scopes.tsv (method, scope, since; '#' comment lines)
# into the C table declared in protocol/method-scopes.h, sorted in strcmp()
# order so that scopes.c can binary-search it.
#
# usage: sh protocol/gen-scopes.sh protocol/method-scopes.tsv \
#	    > protocol/method-scopes.c

set -e
# Byte-wise string comparison in awk, the same order as strcmp().
LC_ALL=C
export LC_ALL

if [ $# -ne 1 ] || [ ! -r "$1" ]; then
	echo "usage: gen-scopes.sh method-scopes.tsv" >&2
	exit 1
fi

awk -F '\t' '
function fail(msg) {
	printf("gen-scopes.sh: line %d: %s\n", NR, msg) > "/dev/stderr"
	bad = 1
	exit 1
}
function cstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	gsub(/\?/, "\\?", s)
	return "\"" s "\""
}
{ sub(/\r$/, "") }
/^#/ || /^[ \t]*$/ { next }
{
	if (NF < 2 || $1 == "" || $2 == "")
		fail("expected method<TAB>scope<TAB>since")
	if ($1 in scope)
		fail("duplicate method " $1)
	if ($1 ~ /[^ -~]/ || $2 ~ /[^ -~]/)
		fail("non-printable character")
	scope[$1] = $2
	name[n++] = $1
}
END {
	if (bad)
		exit 1
	if (n == 0) {
		print "gen-scopes.sh: no methods" > "/dev/stderr"
		exit 1
	}
	# Insertion sort: a few hundred names, and no sort(1) ordering doubts.
	for (i = 1; i < n; i++) {
		k = name[i]
		for (j = i - 1; j >= 0 && name[j] > k; j--)
			name[j + 1] = name[j]
		name[j + 1] = k
	}
	print "/* Generated from protocol/method-scopes.tsv by protocol/gen-scopes.sh. */"
	print "#include \"config.h\""
	print ""
	print "#include <stddef.h>"
	print ""
	print "#include \"protocol/method-scopes.h\""
	print ""
	print "const struct proto_method_scope proto_method_scopes[] = {"
	for (i = 0; i < n; i++)
		printf("\t{ %s, %s },\n", cstr(name[i]), cstr(scope[name[i]]))
	print "};"
	print ""
	print "const size_t proto_method_scopes_count = sizeof(proto_method_scopes) /"
	print "    sizeof(proto_method_scopes[0]);"
}' "$1"
