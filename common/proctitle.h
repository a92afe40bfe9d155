/*
 * Process titles: what ps, top, pgrep and ss show for the master and
 * each worker (common/proctitle.c).
 */
#ifndef COMMON_PROCTITLE_H
#define COMMON_PROCTITLE_H

void proctitle_init(int, char **);
void proctitle_set(const char *comm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
