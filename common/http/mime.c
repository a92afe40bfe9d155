#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "common/http/server.h"

static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json; charset=utf-8" },
	{ "map", "application/json; charset=utf-8" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "ico", "image/x-icon" },
	{ "wasm", "application/wasm" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
};

/* By extension of the last path segment; never guess from content. */
const char *
http_mime_type(const char *name)
{
	const char *base, *dot;
	size_t      i;

	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if ((dot = strrchr(base, '.')) == NULL || dot == base)
		return "application/octet-stream";
	for (i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
		if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
			return mime_types[i].type;
	return "application/octet-stream";
}
