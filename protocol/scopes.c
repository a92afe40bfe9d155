#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/method-scopes.h"
#include "protocol/scopes.h"

/* The closed set of operator scopes (protocol.md section 7). */
static const char *const known_scopes[] = {
	"operator.read",
	"operator.write",
	"operator.admin",
	"operator.approvals",
	"operator.questions",
	"operator.pairing",
	"operator.talk",
	"operator.talk.secrets",
	"operator.sessions.read",
	"operator.sessions.write",
};

/*
 * Implications besides exact match, as in operatorScopeSatisfied():
 * holding the first scope grants the second.  operator.admin is handled
 * apart since it grants everything.
 */
static const struct {
	const char *granted;
	const char *implied;
} implications[] = {
	{ "operator.write", "operator.read" },
	{ "operator.write", "operator.talk" },
	{ "operator.write", "operator.sessions.read" },
	{ "operator.write", "operator.sessions.write" },
	{ "operator.read", "operator.sessions.read" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
method_cmp(const void *key, const void *elem)
{
	const struct proto_method_scope *ms = elem;

	return strcmp(key, ms->method);
}

const char *
proto_method_scope(const char *method)
{
	const struct proto_method_scope *ms;

	if (method == NULL)
		return NULL;
	ms = bsearch(method, proto_method_scopes, proto_method_scopes_count,
	    sizeof(proto_method_scopes[0]), method_cmp);
	return ms != NULL ? ms->scope : NULL;
}

int
proto_scope_known(const char *scope)
{
	size_t i;

	if (scope == NULL)
		return 0;
	for (i = 0; i < NELEM(known_scopes); i++)
		if (strcmp(scope, known_scopes[i]) == 0)
			return 1;
	return 0;
}

/* 1 if holding scope g alone satisfies required. */
static int
grants(const char *g, const char *required)
{
	size_t i;

	if (strcmp(g, required) == 0 || strcmp(g, "operator.admin") == 0)
		return 1;
	for (i = 0; i < NELEM(implications); i++)
		if (strcmp(g, implications[i].granted) == 0 &&
		    strcmp(required, implications[i].implied) == 0)
			return 1;
	return 0;
}

int
proto_scope_satisfied(const char *const *granted, int n, const char *required)
{
	int i;

	if (required == NULL || granted == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (granted[i] != NULL && grants(granted[i], required))
			return 1;
	return 0;
}
