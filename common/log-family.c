/*
 * The names of the dated log files (master/logfile.c writes them,
 * logs.tail reads them back): openclaw-YYYY-MM-DD.log and its archives
 * openclaw-YYYY-MM-DD.N.log.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "common/log.h"

int
log_file_family(const char *name)
{
	static const char shape[] = LOG_FILE_PREFIX "-dddd-dd-dd";
	const char       *p;
	size_t            i;

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
