/*
 * What a line may contain: the escaping every message goes through and
 * the clipping of client strings at call sites.  A client that controls
 * part of a message must not be able to end the line (and forge the
 * next), move a terminal's cursor or recolour it: control characters,
 * DEL, the C1 controls (U+0080-U+009F, which some terminals obey) and
 * bytes that are not UTF-8 become \xNN.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/log-int.h"
#include "common/log.h"

/* Length of the valid UTF-8 character at s (0: not one, or a C1 control). */
static size_t
log_utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (s[0] == 0xc2 && s[1] < 0xa0)
		return 0; /* C1 control */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] >= 0x90) || (s[0] == 0xed && s[1] >= 0xa0))
		return 0; /* overlong, beyond U+10FFFF, surrogate */
	return n;
}

size_t
log_escape(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t               o = 0, i = 0, n;

	if (size == 0)
		return 0;
	while (i < len) {
		n = s[i] < 0x20 || s[i] == 0x7f ? 0 :
		                                  log_utf8_len(s + i, len - i);
		if (n == 0) {
			if (o + 4 >= size)
				break;
			snprintf(dst + o, 5, "\\x%02x", s[i]);
			o += 4;
			i++;
			continue;
		}
		if (o + n >= size)
			break;
		memcpy(dst + o, s + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
	return o;
}

/* Copy at most max bytes of s, not splitting a UTF-8 sequence. */
static const char *
log_clip_to(char *buf, const char *s, size_t max)
{
	size_t len;

	if (s == NULL)
		return "(null)";
	if ((len = strlen(s)) <= max)
		return s;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	memcpy(buf, s, len);
	memcpy(buf + len, "...", 4);
	return buf;
}

const char *
log_clip(char buf[LOG_CLIP_SIZE], const char *s)
{
	return log_clip_to(buf, s, LOG_CLIP_MAX);
}

/* The query may carry a token: it is never logged, "?..." marks it. */
const char *
log_clip_path(char buf[LOG_PATH_SIZE], const char *target)
{
	size_t n, cut = 0;
	int    query;

	if (target == NULL)
		return "(null)";
	n = strcspn(target, "?");
	query = target[n] == '?';
	if (n > LOG_PATH_MAX) {
		n = LOG_PATH_MAX;
		while (n > 0 && ((unsigned char)target[n] & 0xc0) == 0x80)
			n--;
		cut = 1;
	}
	memcpy(buf, target, n);
	buf[n] = '\0';
	if (cut)
		strcat(buf, "...");
	if (query)
		strcat(buf, "?...");
	return buf;
}
