/*
 * `openclaw doctor`: the audit's state and its checks (cli/cmd-doctor.c
 * runs them; cli/doctor-checks.c holds those of the files, port, lock
 * and logs).
 */
#ifndef CLI_DOCTOR_H
#define CLI_DOCTOR_H

#include <json-c/json.h>

struct gw_config;

struct doctor {
	json_object *findings; /* [{check, message, fix, fixed}] */
	int          failed;   /* findings not fixed */
	int          json;     /* --json */
	int          fix;      /* --fix */
};

/* cmd-doctor.c */
void doctor_finding(struct doctor *, const char *check, const char *msg,
    const char *fix, int fixed);

/* doctor-checks.c */
void doctor_config(struct doctor *);
void doctor_perms(struct doctor *, const struct gw_config *);
void doctor_port(struct doctor *, const struct gw_config *);
void doctor_lock(struct doctor *, const struct gw_config *);
void doctor_logs(struct doctor *, const struct gw_config *);

#endif
