#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "protocol/frame.h"
#include "protocol/schemas.h"
#include "protocol/validate.h"

/*
 * An interpreter for the JSON Schema subset used by protocol/schema/:
 * type, const, enum, minLength, maxLength, minimum, maximum, required,
 * properties, additionalProperties, minItems, maxItems, items, anyOf,
 * $ref ("#/$defs/<name>" in the same file) and $defs.  Other keywords are
 * annotations and are ignored.  A $ref is applied together with its
 * sibling keywords, as in draft 2019-09 and later.
 *
 * Keywords are checked in a fixed order, whatever their order in the
 * file, and validation stops at the first failure, so that the message
 * for a given input never changes: $ref, type, const, enum, minLength,
 * maxLength, minimum, maximum, required, properties (in schema order),
 * additionalProperties (in instance order), minItems, maxItems, items,
 * anyOf.  Messages follow ajv's wording, which clients may match on.
 *
 * Validation only reads the schemas (no json-c call that caches into the
 * object), so concurrent validations against the loaded index are safe.
 */

#define MAX_DEPTH   64  /* instance nesting walked */
#define MAX_FRAMES  256 /* recursion; bounds $ref/anyOf loops */
#define MAX_DEFNAME 128

enum {
	T_OBJECT = 0x01,
	T_ARRAY = 0x02,
	T_STRING = 0x04,
	T_INTEGER = 0x08,
	T_NUMBER = 0x10,
	T_BOOLEAN = 0x20,
	T_NULL = 0x40,
};

static const struct {
	const char *name;
	int         bit;
} type_names[] = {
	{ "object", T_OBJECT },
	{ "array", T_ARRAY },
	{ "string", T_STRING },
	{ "integer", T_INTEGER },
	{ "number", T_NUMBER },
	{ "boolean", T_BOOLEAN },
	{ "null", T_NULL },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct schema {
	const char         *id; /* points into root */
	struct json_object *root;
};

/* The loaded index: the only state of this module. */
static struct schema *schemas;
static size_t         nschemas;

/*
 * One step of the instance's JSON pointer.  Steps live on the C stack of
 * the walk and are only rendered when an error is reported.
 */
struct path {
	const struct path *up;
	const char        *key; /* NULL for an array index */
	size_t             idx;
	int                depth; /* 0 at the root */
};

struct vctx {
	struct json_object *root; /* schema file, for $ref */
	char               *err;
	size_t              errlen;
	int                 quiet; /* in anyOf: failures are expected */
	int                 fatal; /* failure anyOf must not swallow */
	int                 frames;
};

/* A JSON number, exact for integers. */
struct num {
	int      isint;
	int      neg;
	uint64_t mag;
	double   d;
};

/* Bounded string builder; keeps what fits. */
struct sbuf {
	char  *buf;
	size_t cap;
	size_t len;
};

static int validate(struct vctx *, struct json_object *, struct json_object *,
    const struct path *);

static void
sb_add(struct sbuf *sb, const char *s, size_t n)
{
	size_t room;

	if (sb->cap == 0)
		return;
	room = sb->cap - 1 - sb->len;
	if (n > room)
		n = room;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void
sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/*
 * Drop a UTF-8 sequence cut short by truncation, so that the message stays
 * valid UTF-8 when it is put into a JSON string or a close reason.
 */
static void
sb_trim_utf8(struct sbuf *sb)
{
	size_t               i, need;
	const unsigned char *p = (const unsigned char *)sb->buf;

	if (sb->len == 0)
		return;
	i = sb->len;
	while (i > 0 && sb->len - i < 4 && (p[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || p[i - 1] < 0xc0)
		return;
	need = p[i - 1] >= 0xf0 ? 4 : p[i - 1] >= 0xe0 ? 3 : 2;
	if (sb->len - (i - 1) < need) {
		sb->len = i - 1;
		sb->buf[sb->len] = '\0';
	}
}

/* Append one reference token, escaped per RFC 6901. */
static void
sb_pointer_token(struct sbuf *sb, const char *key)
{
	const char *s;

	for (s = key; *s != '\0'; s++) {
		if (*s == '~')
			sb_str(sb, "~0");
		else if (*s == '/')
			sb_str(sb, "~1");
		else
			sb_add(sb, s, 1);
	}
}

static void
sb_pointer(struct sbuf *sb, const struct path *p)
{
	const struct path *steps[MAX_DEPTH + 2];
	char               num[24];
	int                n = 0;

	for (; p != NULL && p->up != NULL && n < (int)NELEM(steps); p = p->up)
		steps[n++] = p;
	if (n == 0)
		sb_str(sb, "/");
	while (n-- > 0) {
		sb_str(sb, "/");
		if (steps[n]->key != NULL)
			sb_pointer_token(sb, steps[n]->key);
		else {
			snprintf(num, sizeof(num), "%zu", steps[n]->idx);
			sb_str(sb, num);
		}
	}
}

static void
report(struct vctx *ctx, const struct path *p, const char *fmt, va_list ap)
{
	struct sbuf sb = { ctx->err, ctx->errlen, 0 };
	char        reason[256];

	if (sb.cap == 0)
		return;
	sb.buf[0] = '\0';
	vsnprintf(reason, sizeof(reason), fmt, ap);
	sb_str(&sb, "at ");
	sb_pointer(&sb, p);
	sb_str(&sb, ": ");
	sb_str(&sb, reason);
	sb_trim_utf8(&sb);
}

/* Report a failure; inside anyOf nobody will read it, so skip the work. */
static int
fail(struct vctx *ctx, const struct path *p, const char *fmt, ...)
{
	va_list ap;

	if (ctx->quiet > 0)
		return -1;
	va_start(ap, fmt);
	report(ctx, p, fmt, ap);
	va_end(ap);
	return -1;
}

/* Report a failure that no anyOf branch can make good. */
static int
fail_fatal(struct vctx *ctx, const struct path *p, const char *fmt, ...)
{
	va_list ap;

	ctx->fatal = 1;
	va_start(ap, fmt);
	report(ctx, p, fmt, ap);
	va_end(ap);
	return -1;
}

static struct json_object *
kw(struct json_object *schema, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(schema, name, &v))
		return NULL;
	return v;
}

static int
has_kw(struct json_object *schema, const char *name)
{
	return json_object_object_get_ex(schema, name, NULL);
}

static int
is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double);
}

static void
num_get(struct json_object *v, struct num *n)
{
	int64_t i;

	memset(n, 0, sizeof(*n));
	if (json_object_is_type(v, json_type_int)) {
		n->isint = 1;
		i = json_object_get_int64(v);
		if (i < 0) {
			n->neg = 1;
			n->mag = (uint64_t) - (i + 1) + 1;
			n->d = -(double)n->mag;
		} else {
			/* get_int64 clamps values past INT64_MAX. */
			n->mag = json_object_get_uint64(v);
			n->d = (double)n->mag;
		}
	} else
		n->d = json_object_get_double(v);
}

/* -1, 0 or 1 like a comparison; 2 if unordered (NaN). */
static int
num_cmp(struct json_object *a, struct json_object *b)
{
	struct num x, y;

	num_get(a, &x);
	num_get(b, &y);
	if (x.isint && y.isint) {
		if (x.neg != y.neg)
			return x.neg ? -1 : 1;
		if (x.mag == y.mag)
			return 0;
		return (x.mag < y.mag) != x.neg ? -1 : 1;
	}
	if (isnan(x.d) || isnan(y.d))
		return 2;
	return x.d < y.d ? -1 : x.d > y.d ? 1 : 0;
}

/* Print a schema number the way JavaScript would, for messages. */
static void
num_fmt(struct json_object *v, char *buf, size_t len)
{
	struct num n;

	num_get(v, &n);
	if (n.isint)
		snprintf(buf, len, "%s%" PRIu64, n.neg ? "-" : "", n.mag);
	else {
		snprintf(buf, len, "%.15g", n.d);
		if (strtod(buf, NULL) != n.d)
			snprintf(buf, len, "%.17g", n.d);
	}
}

/* Integral doubles are integers, as in JSON Schema (4.0 is 4). */
static int
double_is_integral(double d)
{
	if (!isfinite(d))
		return 0;
	if (d > -9.0e18 && d < 9.0e18)
		return d == (double)(int64_t)d;
	return 1; /* every double this large is integral */
}

static int
instance_types(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return T_NULL;
	case json_type_boolean:
		return T_BOOLEAN;
	case json_type_int:
		return T_INTEGER | T_NUMBER;
	case json_type_double:
		if (double_is_integral(json_object_get_double(v)))
			return T_INTEGER | T_NUMBER;
		return T_NUMBER;
	case json_type_string:
		return T_STRING;
	case json_type_array:
		return T_ARRAY;
	case json_type_object:
		return T_OBJECT;
	}
	return 0;
}

/* Bit of a type name; 0 if unknown. */
static int
type_bit(struct json_object *name)
{
	const char *s;
	size_t      i;

	if (!json_object_is_type(name, json_type_string))
		return 0;
	s = json_object_get_string(name);
	for (i = 0; i < NELEM(type_names); i++)
		if (strcmp(s, type_names[i].name) == 0)
			return type_names[i].bit;
	return 0;
}

/* Deep equality, numbers by value (1 equals 1.0). */
static int
json_equal(struct json_object *a, struct json_object *b)
{
	struct json_object_iterator it, end;
	struct json_object         *bv;
	size_t                      i, n;

	if (is_number(a) && is_number(b))
		return num_cmp(a, b) == 0;
	if (json_object_get_type(a) != json_object_get_type(b))
		return 0;
	switch (json_object_get_type(a)) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		n = (size_t)json_object_get_string_len(a);
		return n == (size_t)json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		        n) == 0;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!json_equal(json_object_array_get_idx(a, i),
			        json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object:
		if (json_object_object_length(a) !=
		    json_object_object_length(b))
			return 0;
		it = json_object_iter_begin(a);
		end = json_object_iter_end(a);
		for (; !json_object_iter_equal(&it, &end);
		     json_object_iter_next(&it)) {
			if (!json_object_object_get_ex(b,
			        json_object_iter_peek_name(&it), &bv) ||
			    !json_equal(json_object_iter_peek_value(&it), bv))
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}

/* Code points in a UTF-8 string (the JSON Schema notion of length). */
static size_t
utf8_length(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Resolve "#/$defs/<name>" in root; NULL if it is not one. */
static struct json_object *
ref_target(struct json_object *root, const char *ref)
{
	static const char prefix[] = "#/$defs/";
	char              name[MAX_DEFNAME];
	const char       *s;
	size_t            n = 0;

	if (strncmp(ref, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	for (s = ref + sizeof(prefix) - 1; *s != '\0'; s++) {
		if (n + 1 >= sizeof(name) || *s == '/')
			return NULL;
		if (*s == '~') {
			if (s[1] != '0' && s[1] != '1')
				return NULL;
			name[n++] = s[1] == '0' ? '~' : '/';
			s++;
		} else
			name[n++] = *s;
	}
	name[n] = '\0';
	return kw(kw(root, "$defs"), name);
}

static int
check_ref(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object *ref, *target;

	if ((ref = kw(s, "$ref")) == NULL)
		return 0;
	target = ref_target(ctx->root, json_object_get_string(ref));
	if (target == NULL) /* ruled out at load time */
		return fail_fatal(ctx, p, "unresolved $ref");
	return validate(ctx, target, v, p);
}

static int
check_type(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object *t;
	char                names[128];
	struct sbuf         sb = { names, sizeof(names), 0 };
	size_t              i, n = 1;
	int                 want = 0, isarray;

	if ((t = kw(s, "type")) == NULL)
		return 0;
	if ((isarray = json_object_is_type(t, json_type_array)))
		n = json_object_array_length(t);
	for (i = 0; i < n; i++)
		want |= type_bit(isarray ? json_object_array_get_idx(t, i) : t);
	if ((instance_types(v) & want) != 0)
		return 0;
	if (ctx->quiet > 0)
		return -1;
	/* ajv lists the allowed types comma-separated. */
	names[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_str(&sb, ",");
		sb_str(&sb,
		    json_object_get_string(
		        isarray ? json_object_array_get_idx(t, i) : t));
	}
	return fail(ctx, p, "must be %s", names);
}

static int
check_const_enum(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object *c, *e;
	size_t              i, n;

	if (json_object_object_get_ex(s, "const", &c) && !json_equal(v, c))
		return fail(ctx, p, "must be equal to constant");
	if ((e = kw(s, "enum")) == NULL)
		return 0;
	n = json_object_array_length(e);
	for (i = 0; i < n; i++)
		if (json_equal(v, json_object_array_get_idx(e, i)))
			return 0;
	return fail(ctx, p, "must be equal to one of the allowed values");
}

static int
check_string(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object *lim;
	size_t              len;

	if (!json_object_is_type(v, json_type_string))
		return 0;
	len = utf8_length(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
	if ((lim = kw(s, "minLength")) != NULL &&
	    (int64_t)len < json_object_get_int64(lim))
		return fail(ctx, p,
		    "must NOT have fewer than %" PRId64 " characters",
		    json_object_get_int64(lim));
	if ((lim = kw(s, "maxLength")) != NULL &&
	    (int64_t)len > json_object_get_int64(lim))
		return fail(ctx, p,
		    "must NOT have more than %" PRId64 " characters",
		    json_object_get_int64(lim));
	return 0;
}

static int
check_number(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object *lim;
	char                buf[32];
	int                 c;

	if (!is_number(v))
		return 0;
	/* NaN compares with nothing: it fails both bounds. */
	if ((lim = kw(s, "minimum")) != NULL && (c = num_cmp(v, lim)) != 0 &&
	    c != 1) {
		num_fmt(lim, buf, sizeof(buf));
		return fail(ctx, p, "must be >= %s", buf);
	}
	if ((lim = kw(s, "maximum")) != NULL && (c = num_cmp(v, lim)) != 0 &&
	    c != -1) {
		num_fmt(lim, buf, sizeof(buf));
		return fail(ctx, p, "must be <= %s", buf);
	}
	return 0;
}

static int
check_required(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object *req;
	const char         *name;
	size_t              i, n;

	if ((req = kw(s, "required")) == NULL)
		return 0;
	n = json_object_array_length(req);
	for (i = 0; i < n; i++) {
		name = json_object_get_string(
		    json_object_array_get_idx(req, i));
		if (!json_object_object_get_ex(v, name, NULL))
			return fail(ctx, p, "must have required property '%s'",
			    name);
	}
	return 0;
}

static int
check_properties(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object_iterator it, end;
	struct json_object         *props, *cv;
	struct path                 child;

	if ((props = kw(s, "properties")) == NULL)
		return 0;
	child.up = p;
	child.depth = p->depth + 1;
	it = json_object_iter_begin(props);
	end = json_object_iter_end(props);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		child.key = json_object_iter_peek_name(&it);
		if (!json_object_object_get_ex(v, child.key, &cv))
			continue;
		if (validate(ctx, json_object_iter_peek_value(&it), cv,
		        &child) == -1)
			return -1;
	}
	return 0;
}

static int
check_additional(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object_iterator it, end;
	struct json_object         *ap, *props;
	struct path                 child;

	if ((ap = kw(s, "additionalProperties")) == NULL)
		return 0;
	props = kw(s, "properties");
	child.up = p;
	child.depth = p->depth + 1;
	it = json_object_iter_begin(v);
	end = json_object_iter_end(v);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		child.key = json_object_iter_peek_name(&it);
		if (props != NULL &&
		    json_object_object_get_ex(props, child.key, NULL))
			continue;
		if (json_object_is_type(ap, json_type_boolean) &&
		    !json_object_get_boolean(ap))
			return fail(ctx, p,
			    "must NOT have additional properties (%s)",
			    child.key);
		if (validate(ctx, ap, json_object_iter_peek_value(&it),
		        &child) == -1)
			return -1;
	}
	return 0;
}

static int
check_object(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	if (!json_object_is_type(v, json_type_object))
		return 0;
	if (check_required(ctx, s, v, p) == -1 ||
	    check_properties(ctx, s, v, p) == -1 ||
	    check_additional(ctx, s, v, p) == -1)
		return -1;
	return 0;
}

static int
check_array(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object *lim, *items;
	struct path         child;
	size_t              i, n;

	if (!json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	if ((lim = kw(s, "minItems")) != NULL &&
	    (int64_t)n < json_object_get_int64(lim))
		return fail(ctx, p,
		    "must NOT have fewer than %" PRId64 " items",
		    json_object_get_int64(lim));
	if ((lim = kw(s, "maxItems")) != NULL &&
	    (int64_t)n > json_object_get_int64(lim))
		return fail(ctx, p, "must NOT have more than %" PRId64 " items",
		    json_object_get_int64(lim));
	if ((items = kw(s, "items")) == NULL)
		return 0;
	child.up = p;
	child.key = NULL;
	child.depth = p->depth + 1;
	for (i = 0; i < n; i++) {
		child.idx = i;
		if (validate(ctx, items, json_object_array_get_idx(v, i),
		        &child) == -1)
			return -1;
	}
	return 0;
}

static int
check_anyof(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	struct json_object *any;
	size_t              i, n;
	int                 r;

	if ((any = kw(s, "anyOf")) == NULL)
		return 0;
	n = json_object_array_length(any);
	for (i = 0; i < n; i++) {
		ctx->quiet++;
		r = validate(ctx, json_object_array_get_idx(any, i), v, p);
		ctx->quiet--;
		if (r == 0)
			return 0;
		if (ctx->fatal)
			return -1;
	}
	return fail(ctx, p, "must match a schema in anyOf");
}

static int
validate_keywords(struct vctx *ctx, struct json_object *s,
    struct json_object *v, const struct path *p)
{
	if (json_object_is_type(s, json_type_boolean))
		return json_object_get_boolean(s) ?
		    0 :
		    fail(ctx, p, "boolean schema is false");
	if (!json_object_is_type(s, json_type_object))
		return 0; /* ruled out at load time */
	if (check_ref(ctx, s, v, p) == -1 || check_type(ctx, s, v, p) == -1 ||
	    check_const_enum(ctx, s, v, p) == -1 ||
	    check_string(ctx, s, v, p) == -1 ||
	    check_number(ctx, s, v, p) == -1 ||
	    check_object(ctx, s, v, p) == -1 ||
	    check_array(ctx, s, v, p) == -1 || check_anyof(ctx, s, v, p) == -1)
		return -1;
	return 0;
}

static int
validate(struct vctx *ctx, struct json_object *s, struct json_object *v,
    const struct path *p)
{
	int r;

	if (p->depth > MAX_DEPTH || ctx->frames >= MAX_FRAMES)
		return fail_fatal(ctx, p, "nesting too deep");
	ctx->frames++;
	r = validate_keywords(ctx, s, v, p);
	ctx->frames--;
	return r;
}

static struct json_object *
find_schema(const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < nschemas; i++)
		if (strcmp(schemas[i].id, id) == 0)
			return schemas[i].root;
	return NULL;
}

int
proto_validate(const char *id, struct json_object *value, char *err,
    size_t errlen)
{
	struct vctx ctx;
	struct path root = { NULL, NULL, 0, 0 };

	memset(&ctx, 0, sizeof(ctx));
	ctx.err = err;
	ctx.errlen = err != NULL ? errlen : 0;
	if (ctx.errlen > 0)
		err[0] = '\0';
	if ((ctx.root = find_schema(id)) == NULL) {
		if (ctx.errlen > 0)
			snprintf(err, errlen, "unknown schema %s",
			    id != NULL ? id : "(null)");
		return -2;
	}
	return validate(&ctx, ctx.root, value, &root);
}

int
proto_schema_exists(const char *id)
{
	return find_schema(id) != NULL;
}

/*
 * Load-time checks.  A schema is trusted data compiled into the binary;
 * checking its shape once here lets the walk above take keyword values
 * at face value.
 */

static const char *
check_schema(struct json_object *, struct json_object *, int);

static int
is_count(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) >= 0;
}

static int
check_type_kw(struct json_object *t)
{
	size_t i, n;

	if (!json_object_is_type(t, json_type_array))
		return type_bit(t) != 0;
	n = json_object_array_length(t);
	for (i = 0; i < n; i++)
		if (type_bit(json_object_array_get_idx(t, i)) == 0)
			return 0;
	return n > 0;
}

static int
check_strings(struct json_object *a)
{
	size_t i, n;

	if (!json_object_is_type(a, json_type_array))
		return 0;
	n = json_object_array_length(a);
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i),
		        json_type_string))
			return 0;
	return 1;
}

/* Every value of an object (or element of an array) must be a schema. */
static const char *
check_subschemas(struct json_object *root, struct json_object *c, int depth)
{
	struct json_object_iterator it, end;
	const char                 *bad;
	size_t                      i, n;

	if (json_object_is_type(c, json_type_array)) {
		n = json_object_array_length(c);
		for (i = 0; i < n; i++)
			if ((bad = check_schema(root,
			         json_object_array_get_idx(c, i), depth)) !=
			    NULL)
				return bad;
		return NULL;
	}
	it = json_object_iter_begin(c);
	end = json_object_iter_end(c);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		if ((bad = check_schema(root, json_object_iter_peek_value(&it),
		         depth)) != NULL)
			return bad;
	return NULL;
}

/* Shape of the keyword values themselves; the name of a bad one or NULL. */
static const char *
check_keywords(struct json_object *root, struct json_object *s)
{
	static const char *const counts[] = { "minLength", "maxLength",
		"minItems", "maxItems" };
	struct json_object      *v;
	size_t                   i;

	if ((v = kw(s, "type")) != NULL && !check_type_kw(v))
		return "type";
	if ((v = kw(s, "enum")) != NULL &&
	    !json_object_is_type(v, json_type_array))
		return "enum";
	for (i = 0; i < NELEM(counts); i++)
		if ((v = kw(s, counts[i])) != NULL && !is_count(v))
			return counts[i];
	if (has_kw(s, "minimum") && !is_number(kw(s, "minimum")))
		return "minimum";
	if (has_kw(s, "maximum") && !is_number(kw(s, "maximum")))
		return "maximum";
	if (has_kw(s, "required") && !check_strings(kw(s, "required")))
		return "required";
	if (has_kw(s, "$ref") &&
	    (!json_object_is_type(kw(s, "$ref"), json_type_string) ||
	        ref_target(root, json_object_get_string(kw(s, "$ref"))) ==
	            NULL))
		return "$ref";
	return NULL;
}

static const char *
check_schema(struct json_object *root, struct json_object *s, int depth)
{
	static const char *const maps[] = { "properties", "$defs" };
	struct json_object      *v;
	const char              *bad;
	size_t                   i;

	if (depth > MAX_DEPTH)
		return "nesting";
	if (json_object_is_type(s, json_type_boolean))
		return NULL;
	if (!json_object_is_type(s, json_type_object))
		return "schema";
	if ((bad = check_keywords(root, s)) != NULL)
		return bad;
	for (i = 0; i < NELEM(maps); i++) {
		if ((v = kw(s, maps[i])) == NULL)
			continue;
		if (!json_object_is_type(v, json_type_object))
			return maps[i];
		if ((bad = check_subschemas(root, v, depth + 1)) != NULL)
			return bad;
	}
	if ((v = kw(s, "anyOf")) != NULL) {
		if (!json_object_is_type(v, json_type_array) ||
		    json_object_array_length(v) == 0)
			return "anyOf";
		if ((bad = check_subschemas(root, v, depth + 1)) != NULL)
			return bad;
	}
	if ((v = kw(s, "items")) != NULL &&
	    (bad = check_schema(root, v, depth + 1)) != NULL)
		return bad;
	if ((v = kw(s, "additionalProperties")) != NULL &&
	    (bad = check_schema(root, v, depth + 1)) != NULL)
		return bad;
	return NULL;
}

/* Parse and check one embedded schema; its $id in *idp. */
static struct json_object *
load_one(const struct proto_schema_src *src, const char **idp)
{
	struct json_object *root, *id;
	const char         *why = NULL, *bad;

	/* A null root has no "$id" either: the check below refuses it. */
	root = frame_json_parse(src->src, strlen(src->src), FRAME_JSON_WHOLE,
	    &why);
	if (why != NULL)
		goto fail;
	if (!json_object_object_get_ex(root, "$id", &id) ||
	    !json_object_is_type(id, json_type_string) ||
	    json_object_get_string_len(id) == 0) {
		why = "no string \"$id\"";
		goto fail;
	}
	if (find_schema(json_object_get_string(id)) != NULL) {
		why = "duplicate \"$id\"";
		goto fail;
	}
	if ((bad = check_schema(root, root, 0)) != NULL) {
		fprintf(stderr, "protocol schema %s: malformed \"%s\"\n",
		    src->name, bad);
		json_object_put(root);
		return NULL;
	}
	*idp = json_object_get_string(id);
	return root;
fail:
	fprintf(stderr, "protocol schema %s: %s\n", src->name, why);
	json_object_put(root);
	return NULL;
}

int
proto_schemas_load(void)
{
	struct json_object *root;
	const char         *id;
	size_t              i, n;

	if (schemas != NULL)
		return 0;
	for (n = 0; proto_schema_srcs[n].name != NULL; n++)
		;
	if ((schemas = calloc(n > 0 ? n : 1, sizeof(*schemas))) == NULL) {
		fprintf(stderr, "protocol schemas: out of memory\n");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((root = load_one(&proto_schema_srcs[i], &id)) == NULL) {
			proto_schemas_free();
			return -1;
		}
		schemas[nschemas].id = id;
		schemas[nschemas].root = root;
		nschemas++;
	}
	return 0;
}

void
proto_schemas_free(void)
{
	size_t i;

	for (i = 0; i < nschemas; i++)
		json_object_put(schemas[i].root);
	free(schemas);
	schemas = NULL;
	nschemas = 0;
}
