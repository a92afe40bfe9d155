/*
 * Method to scope table, generated from protocol/method-scopes.tsv by
 * protocol/gen-scopes.sh into protocol/method-scopes.c; only scopes.c
 * reads it.
 */
#ifndef PROTOCOL_METHOD_SCOPES_H
#define PROTOCOL_METHOD_SCOPES_H

#include <stddef.h>

struct proto_method_scope {
	const char *method;
	const char *scope;
};

/* Sorted by method in strcmp() order, no duplicates. */
extern const struct proto_method_scope proto_method_scopes[];
extern const size_t                    proto_method_scopes_count;

#endif
