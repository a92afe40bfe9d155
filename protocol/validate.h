/*
 * JSON Schema validation of inbound frames and method params.  The schema
 * files in protocol/schema/ are the single source of truth: they are
 * embedded in the binary at build time (protocol/schemas.c is generated
 * from them) and interpreted here; nothing about their content is written
 * again in C.
 */
#ifndef PROTOCOL_VALIDATE_H
#define PROTOCOL_VALIDATE_H

#include <stddef.h>
#include <json-c/json.h>

/*
 * Parse every embedded schema once per process.  Returns -1 (and logs) if
 * a schema is malformed, which is a build defect.
 */
int  proto_schemas_load(void);
void proto_schemas_free(void);

/*
 * Validate value against the schema named id ("frame.req",
 * "connect.params", "method.health", ...).  Returns 0 if valid; -1 and a
 * message "at /json/pointer: reason" in err (the root is "at /: ...") if
 * not; -2 if no schema has that id.
 */
int proto_validate(const char *id, struct json_object *value, char *err,
    size_t errlen);
/* 1 if a schema with that id exists. */
int proto_schema_exists(const char *id);

#endif
