#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t n)
{
	void *p;

	if ((p = calloc(nmemb ? nmemb : 1, n ? n : 1)) == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (%zu x %zu bytes)", nmemb,
		    n);
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p;

	if ((p = realloc(old, n ? n : 1)) == NULL)
		fatalx(EXIT_RUNTIME, "out of memory (%zu bytes)", n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx(EXIT_RUNTIME, "out of memory (asprintf)");
	return n;
}
