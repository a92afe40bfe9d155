# Decimal byte values (od -An -v -tu1) to the body of a C string literal,
# one literal per source line, each line prefixed by the variable indent:
# printable ASCII stays as is except \ " and ? (the latter so that no
# trigraph can form); anything else becomes a three-digit octal escape,
# which cannot swallow a following digit.  A NUL byte would silently
# truncate the string: it is refused.  Used by protocol/gen-schemas.sh and
# cli/gen-templates.sh.
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
			msg = "cstring.awk: NUL byte in input"
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
}
