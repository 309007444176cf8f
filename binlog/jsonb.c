/* jsonb.c: MySQL's binary JSON (column type 245) to JSON text in MySQL's
 * own printed form -- ", " and ": " separators, keys in stored order,
 * DECIMAL unquoted, temporal opaques quoted, other opaques as
 * "base64:typeNN:..." -- bounds-checked, recursion bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binlog_int.h"

enum {
	JB_SMALL_OBJ = 0, JB_LARGE_OBJ = 1, JB_SMALL_ARR = 2, JB_LARGE_ARR = 3,
	JB_LITERAL = 4, JB_INT16 = 5, JB_UINT16 = 6, JB_INT32 = 7,
	JB_UINT32 = 8, JB_INT64 = 9, JB_UINT64 = 10, JB_DOUBLE = 11,
	JB_STRING = 12, JB_OPAQUE = 15,
};

/* MySQL refuses documents nested deeper than 100.  Entries may share
 * an offset, so a small document could print exponentially large: the
 * text may be at most JB_MAX_GROWTH times the binary (real documents stay
 * well under: a 3-byte inlined "false" entry is the worst). */
#define JB_MAX_DEPTH	100
#define JB_MAX_GROWTH	16

static int	jsonb_value(const uint8_t *, size_t, uint8_t, struct obuf *,
		    int, size_t);

static uint64_t
jsonb_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* The variable-length size of strings and opaques: 7 bits a byte. */
static int
jsonb_varlen(const uint8_t *p, size_t n, size_t *len, size_t *used)
{
	size_t i;
	uint64_t v = 0;

	for (i = 0; i < n && i < 5; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*len = (size_t)v;
			*used = i + 1;
			return *len <= n - *used ? 0 : -1;
		}
	}
	return -1;
}

/* Packed DATE/DATETIME/TIMESTAMP/TIME (my_time.h's longlong form). */
static void
jsonb_temporal(uint8_t type, int64_t v, struct obuf *o)
{
	uint64_t a = v < 0 ? (uint64_t)-v : (uint64_t)v;
	uint64_t ymdhms = a >> 24, frac = a & 0xffffff, ymd, ym, hms;

	if (type == COL_TIME) {
		obuf_printf(o, "\"%s%02u:%02u:%02u.%06u\"", v < 0 ? "-" : "",
		    (unsigned)((ymdhms >> 12) & 0x3ff),
		    (unsigned)((ymdhms >> 6) & 63), (unsigned)(ymdhms & 63),
		    (unsigned)frac);
		return;
	}
	ymd = ymdhms >> 17;
	ym = ymd >> 5;
	hms = ymdhms & 0x1ffff;
	obuf_printf(o, "\"%04u-%02u-%02u", (unsigned)(ym / 13),
	    (unsigned)(ym % 13), (unsigned)(ymd & 31));
	if (type != COL_DATE)
		obuf_printf(o, " %02u:%02u:%02u.%06u", (unsigned)(hms >> 12),
		    (unsigned)((hms >> 6) & 63), (unsigned)(hms & 63),
		    (unsigned)frac);
	obuf_str(o, "\"");
}

static int
jsonb_opaque(const uint8_t *p, size_t n, struct obuf *o)
{
	struct column col;
	struct cursor c;
	size_t len, used;
	uint8_t type;

	if (n < 1 || jsonb_varlen(p + 1, n - 1, &len, &used) == -1)
		return -1;
	type = p[0];
	p += 1 + used;
	switch (type) {
	case COL_NEWDECIMAL:
		if (len < 2)
			return -1;
		memset(&col, 0, sizeof(col));
		col.type = COL_NEWDECIMAL;
		col.meta = (uint16_t)(p[0] << 8 | p[1]);
		cursor_init(&c, p + 2, len - 2);
		rows_decimal(&c, &col, o);
		return c.err ? -1 : 0;
	case COL_DATE: case COL_TIME: case COL_DATETIME: case COL_TIMESTAMP:
		if (len < 8)
			return -1;
		jsonb_temporal(type, (int64_t)jsonb_le(p, 8), o);
		return 0;
	}
	obuf_printf(o, "\"base64:type%u:", type);
	obuf_base64_bare(o, p, len);
	obuf_str(o, "\"");
	return 0;
}

/* A double the way MySQL prints it: shortest round trip, and a ".0"
 * on integral values so that it reads back as a double. */
static void
jsonb_double(double d, struct obuf *o)
{
	char buf[40];
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*g", prec, d);
	obuf_str(o, buf);
	if (strpbrk(buf, ".eEn") == NULL)
		obuf_str(o, ".0");
}

static int
jsonb_scalar(const uint8_t *p, size_t n, uint8_t type, struct obuf *o)
{
	static const int width[] = { [JB_INT16] = 2, [JB_UINT16] = 2,
	    [JB_INT32] = 4, [JB_UINT32] = 4, [JB_INT64] = 8, [JB_UINT64] = 8,
	    [JB_DOUBLE] = 8 };
	size_t len, used;
	uint64_t v;
	double d;
	int w;

	if (type == JB_STRING) {
		if (jsonb_varlen(p, n, &len, &used) == -1)
			return -1;
		obuf_json_str(o, p + used, len);
		return 0;
	}
	if (type == JB_OPAQUE)
		return jsonb_opaque(p, n, o);
	if (type == JB_LITERAL) {
		if (n < 1 || p[0] > 2)
			return -1;
		obuf_str(o, p[0] == 0 ? "null" : p[0] == 1 ? "true" : "false");
		return 0;
	}
	if (type < JB_INT16 || type > JB_DOUBLE || (size_t)width[type] > n)
		return -1;
	w = width[type];
	v = jsonb_le(p, w);
	if (type == JB_DOUBLE) {
		memcpy(&d, &v, 8);
		jsonb_double(d, o);
	} else if (type == JB_UINT16 || type == JB_UINT32 || type == JB_UINT64)
		obuf_printf(o, "%llu", (unsigned long long)v);
	else
		obuf_printf(o, "%lld", (long long)((int64_t)(v << (64 - 8 * w))
		    >> (64 - 8 * w)));
	return 0;
}

/* Whether an entry's value sits in the entry itself. */
static bool
jsonb_inlined(uint8_t type, bool large)
{
	return type == JB_LITERAL || type == JB_INT16 || type == JB_UINT16 ||
	    (large && (type == JB_INT32 || type == JB_UINT32));
}

/* Objects and arrays: count, size, key entries, value entries, with
 * offsets from the start of the container. */
static int
jsonb_container(const uint8_t *p, size_t n, bool obj, bool large,
    struct obuf *o, int depth, size_t limit)
{
	size_t w = large ? 4 : 2, count, size, i, koff, klen, voff, ventry;
	const uint8_t *e;
	uint8_t vt;

	if (n < 2 * w)
		return -1;
	count = jsonb_le(p, (int)w);
	size = jsonb_le(p + w, (int)w);
	ventry = 1 + w;
	/* a stated size past the value (hand-built documents have it) is
	 * cut to what is there: every read below stays within size */
	if (size > n)
		size = n;
	if (count > size ||
	    2 * w + count * ((obj ? w + 2 : 0) + ventry) > size)
		return -1;
	obuf_str(o, obj ? "{" : "[");
	for (i = 0; i < count; i++) {
		if (o->len > limit)
			return -1;
		if (i > 0)
			obuf_str(o, ", ");
		if (obj) {
			e = p + 2 * w + i * (w + 2);
			koff = jsonb_le(e, (int)w);
			klen = jsonb_le(e + w, 2);
			if (koff > size || klen > size - koff)
				return -1;
			obuf_json_str(o, p + koff, klen);
			obuf_str(o, ": ");
		}
		e = p + 2 * w + (obj ? count * (w + 2) : 0) + i * ventry;
		vt = e[0];
		if (jsonb_inlined(vt, large)) {
			if (jsonb_scalar(e + 1, w, vt, o) == -1)
				return -1;
			continue;
		}
		voff = jsonb_le(e + 1, (int)w);
		if (voff >= size ||
		    jsonb_value(p + voff, size - voff, vt, o, depth + 1,
		    limit) == -1)
			return -1;
	}
	obuf_str(o, obj ? "}" : "]");
	return 0;
}

static int
jsonb_value(const uint8_t *p, size_t n, uint8_t type, struct obuf *o,
    int depth, size_t limit)
{
	if (depth > JB_MAX_DEPTH)
		return -1;
	switch (type) {
	case JB_SMALL_OBJ: case JB_LARGE_OBJ:
		return jsonb_container(p, n, true, type == JB_LARGE_OBJ, o,
		    depth, limit);
	case JB_SMALL_ARR: case JB_LARGE_ARR:
		return jsonb_container(p, n, false, type == JB_LARGE_ARR, o,
		    depth, limit);
	}
	return jsonb_scalar(p, n, type, o);
}

/* A whole document: its type byte, then the value.  An empty value is
 * JSON null (MySQL 5.7 logs NOT NULL JSON columns set to nothing so). */
int
jsonb_text(const uint8_t *p, size_t n, struct obuf *o)
{
	if (n == 0) {
		obuf_str(o, "null");
		return 0;
	}
	return jsonb_value(p + 1, n - 1, p[0], o, 0,
	    o->len + JB_MAX_GROWTH * n + 64);
}
