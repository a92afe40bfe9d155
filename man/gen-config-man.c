/*
 * Writes openclaw.json(5): the template man/openclaw.json.5.in with its
 * line "@CONFIG_KEYS@" replaced by one entry per key of the config table
 * (common/cfg-table.c), grouped by the key's first word in the table's
 * order.  Run at build time, so the page cannot disagree with the code.
 *
 * usage: gen-config-man TEMPLATE > openclaw.json.5
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"

#define KEYS_MARK "@CONFIG_KEYS@"

static const char *
type_name(enum cfg_type t)
{
	switch (t) {
	case CFG_INT:
		return "integer";
	case CFG_BOOL:
		return "boolean";
	case CFG_STR:
		return "string";
	case CFG_SECRET:
		return "string (secret)";
	case CFG_ENUM:
		return "string";
	case CFG_STRLIST:
		return "array of strings";
	}
	return "?";
}

static const char *
reload_name(enum cfg_reload r)
{
	switch (r) {
	case CFG_RELOAD_HOT:
		return "live";
	case CFG_RELOAD_RESTART:
		return "restart";
	case CFG_RELOAD_NONE:
		break;
	}
	return "none (a change needs nothing done)";
}

#define TEXT_WIDTH 72

/*
 * One line of roff text: backslashes escaped, a leading dot or quote
 * kept from being read as a request.
 */
static void
put_line(const char *s, size_t len)
{
	size_t i;

	if (len > 0 && (*s == '.' || *s == '\''))
		fputs("\\&", stdout);
	for (i = 0; i < len; i++) {
		if (s[i] == '\\')
			fputs("\\e", stdout);
		else
			putchar(s[i]);
	}
	putchar('\n');
}

/* s as roff text lines of at most TEXT_WIDTH bytes, cut between words. */
static void
put_text(const char *s)
{
	size_t len, cut;

	while (*s != '\0') {
		len = strlen(s);
		cut = len;
		if (len > TEXT_WIDTH) {
			for (cut = TEXT_WIDTH; cut > 0 && s[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = strcspn(s, " ");
		}
		put_line(s, cut);
		s += cut;
		while (*s == ' ')
			s++;
	}
}

/* "a|b|c" as ".Cm a | b | c". */
static void
put_choices(const char *choices)
{
	size_t n;

	fputs(".Cm", stdout);
	while (*choices != '\0') {
		n = strcspn(choices, "|");
		printf(" %.*s", (int)n, choices);
		choices += n;
		if (*choices == '|') {
			fputs(" |", stdout);
			choices++;
		}
	}
	putchar('\n');
}

/* The facts of one key: a compact tag list under its description. */
static void
put_facts(const struct cfg_key *k)
{
	printf(".Bl -tag -width environment -compact\n.It type\n%s\n",
	    type_name(k->type));
	if (k->type == CFG_ENUM) {
		puts(".It choices");
		put_choices(k->choices);
	}
	puts(".It default");
	if (k->def != NULL)
		printf(".Li %s\n", k->def);
	else
		puts("unset");
	if (k->type == CFG_INT)
		printf(".It range\n%ld to %ld\n", k->min, k->max);
	if (k->env != NULL)
		printf(".It environment\n.Ev %s\n", k->env);
	printf(".It reload\n%s\n.El\n", reload_name(k->reload));
}

static size_t
group_len(const char *path)
{
	return strcspn(path, ".");
}

/* Has a key before k the same first word? */
static int
group_seen(const struct cfg_key *k)
{
	const struct cfg_key *p;
	size_t                n = group_len(k->path);

	for (p = cfg_keys; p < k; p++)
		if (group_len(p->path) == n &&
		    strncmp(p->path, k->path, n) == 0)
			return 1;
	return 0;
}

/* Every key whose first word is first's, in the table's order. */
static void
put_group(const struct cfg_key *first)
{
	const struct cfg_key *k;
	size_t                n = group_len(first->path);

	printf(".Ss %.*s\n.Bl -tag -width Ds\n", (int)n, first->path);
	for (k = first; k->path != NULL; k++) {
		if (group_len(k->path) != n ||
		    strncmp(k->path, first->path, n) != 0)
			continue;
		printf(".It Cm %s\n", k->path);
		put_text(k->doc);
		put_facts(k);
	}
	puts(".El");
}

static void
put_keys(void)
{
	const struct cfg_key *k;

	for (k = cfg_keys; k->path != NULL; k++)
		if (!group_seen(k))
			put_group(k);
}

int
main(int argc, char **argv)
{
	FILE *fp;
	char  line[4096];

	if (argc != 2) {
		fputs("usage: gen-config-man TEMPLATE\n", stderr);
		return 2;
	}
	if ((fp = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, KEYS_MARK, strlen(KEYS_MARK)) == 0)
			put_keys();
		else
			fputs(line, stdout);
	}
	if (ferror(fp) || fclose(fp) != 0 || fflush(stdout) != 0 ||
	    ferror(stdout)) {
		perror("gen-config-man");
		return 1;
	}
	return 0;
}
