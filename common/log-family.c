/*
 * The names of the dated log files (master/logfile.c writes them,
 * logs.tail reads them back): openclaw-YYYY-MM-DD.log and its archives
 * openclaw-YYYY-MM-DD.N.log; with a profile, openclaw-NAME-YYYY-MM-DD.log,
 * so that two profiles side by side neither share nor prune each other's
 * files (a profile's name never starts like a date of the default
 * family: "openclaw-2026-2026-12-04.log" is not "openclaw-dddd-dd-dd").
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/profile.h"

/* "openclaw" or "openclaw-NAME"; NULL past the prefix in name. */
static const char *
log_file_prefix(const char *name)
{
	const char *p = profile_name();
	size_t      n = strlen(LOG_FILE_PREFIX);

	if (strncmp(name, LOG_FILE_PREFIX, n) != 0)
		return NULL;
	name += n;
	if (p == NULL)
		return name;
	n = strlen(p);
	if (name[0] != '-' || strncmp(name + 1, p, n) != 0)
		return NULL;
	return name + 1 + n;
}

int
log_file_dated(char *buf, size_t len, const char *dir, const char *day)
{
	const char *p = profile_name();
	int         n;

	n = snprintf(buf, len, "%s/" LOG_FILE_PREFIX "%s%s-%s.log", dir,
	    p != NULL ? "-" : "", p != NULL ? p : "", day);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
log_file_family(const char *name)
{
	static const char shape[] = "-dddd-dd-dd";
	const char       *p;
	size_t            i;

	if ((name = log_file_prefix(name)) == NULL)
		return 0;
	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)name[i]) :
		                      name[i] != shape[i])
			return 0;
	}
	p = name + i;
	if (p[0] == '.' && isdigit((unsigned char)p[1]))
		for (p++; isdigit((unsigned char)*p); p++)
			;
	return strcmp(p, ".log") == 0;
}
