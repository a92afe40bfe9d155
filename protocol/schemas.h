/*
 * Embedded JSON Schema sources.  protocol/schemas.c is generated from the
 * JSON files in protocol/schema/ by protocol/gen-schemas.sh; only
 * validate.c reads it.
 */
#ifndef PROTOCOL_SCHEMAS_H
#define PROTOCOL_SCHEMAS_H

struct proto_schema_src {
	const char *name; /* file basename, for diagnostics */
	const char *src;  /* file contents */
};

/* Terminated by an entry whose name is NULL. */
extern const struct proto_schema_src proto_schema_srcs[];

#endif
