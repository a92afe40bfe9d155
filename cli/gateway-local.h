/*
 * What this machine's gateway leaves behind, read without talking to it
 * (cli/gateway-local.c): its log file and last error line, its port.
 */
#ifndef CLI_GATEWAY_LOCAL_H
#define CLI_GATEWAY_LOCAL_H

struct gw_config;

char *local_log_dir(int *ours);
char *local_log_path(const struct gw_config *);
char *local_last_error(const char *path);
int   local_port_busy(int port);

#endif
