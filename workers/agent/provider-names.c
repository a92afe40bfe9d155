/* The names of the neutral API's enums, as the driver and logs print
 * them and as the config spells the api kinds. */
#include "config.h"

#include <string.h>

#include "workers/agent/provider-int.h"

static const char *const api_names[PROV_API_COUNT] = {
	[PROV_API_OPENAI_COMPLETIONS] = "openai-completions",
	[PROV_API_ANTHROPIC_MESSAGES] = "anthropic-messages",
	[PROV_API_OPENAI_RESPONSES] = "openai-responses",
};

int
prov_api_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < PROV_API_COUNT; i++)
		if (strcmp(s, api_names[i]) == 0)
			return i;
	return -1;
}

const char *
prov_api_name(enum prov_api a)
{
	return (unsigned)a < PROV_API_COUNT ? api_names[a] : "unknown";
}

const struct prov_wire *
prov_wire(enum prov_api a)
{
	switch (a) {
	case PROV_API_ANTHROPIC_MESSAGES:
		return &prov_wire_anthropic;
	case PROV_API_OPENAI_RESPONSES:
		return &prov_wire_responses;
	default:
		return &prov_wire_openai;
	}
}

const char *
prov_stop_name(enum prov_stop s)
{
	static const char *const names[] = {
		[PROV_STOP_NONE] = "none",
		[PROV_STOP_END] = "stop",
		[PROV_STOP_LENGTH] = "length",
		[PROV_STOP_TOOL_USE] = "tool_use",
		[PROV_STOP_REFUSAL] = "refusal",
		[PROV_STOP_OTHER] = "other",
	};

	return (unsigned)s <= PROV_STOP_OTHER ? names[s] : "other";
}

const char *
prov_event_name(enum prov_event_type t)
{
	static const char *const names[] = {
		[PROV_EV_TEXT] = "text",
		[PROV_EV_TOOL_START] = "tool_start",
		[PROV_EV_TOOL_ARGS] = "tool_args",
		[PROV_EV_TOOL_END] = "tool_end",
		[PROV_EV_USAGE] = "usage",
		[PROV_EV_STOP] = "stop",
		[PROV_EV_ERROR] = "error",
		[PROV_EV_DONE] = "done",
	};

	return (unsigned)t <= PROV_EV_DONE ? names[t] : "unknown";
}
