/* Shared by the config loader's files (cfg.c, cfg-subst.c, cfg-unknown.c). */
#ifndef COMMON_CFG_INT_H
#define COMMON_CFG_INT_H

#include <stddef.h>
#include <json-c/json.h>

#include "common/cfg.h"

/*
 * Resolve ${VAR} in len bytes of in: a heap string in *out (*outlen
 * bytes), *literal set when some of it came from the file rather than
 * the environment.  -1 with the reason in why (the variable named).
 */
int cfg_subst(const char *in, size_t len, char **out, size_t *outlen,
    int *literal, char *why, size_t whylen);

/* 1 if some of len bytes of in is text, not a ${VAR}. */
int cfg_subst_literal(const char *in, size_t len);

/* The file holds a secret, at path. */
void cfg_secret_at(struct gw_config *, const char *path);

/*
 * Secrets in keys the table does not read (channels.*.botToken,
 * models.providers.*.apiKey, ...): a string held in the file under a
 * name ending in token, password, secret, apiKey or privateKey.
 */
void
cfg_foreign_secrets(struct gw_config *, struct json_object *, const char *path);

/* "<file>:<line>:<col>" of a key path, or "<file>" without a position. */
void cfg_where(char *buf, size_t len, const char *file, struct json_object *pos,
    const char *path);

/* Every key of root the table does not know, into cfg's lists. */
void cfg_unknown_keys(struct gw_config *, const char *file,
    struct json_object *root, struct json_object *pos);

/* Append a copy of s. */
void cfg_strlist_add(struct strlist *, const char *s);

#endif
