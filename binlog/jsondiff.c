/* jsondiff.c: PARTIAL_UPDATE_ROWS' JSON diffs (binlog_row_value_options =
 * PARTIAL_JSON) -- applied to the before image's document, as text, when
 * the before image has it; otherwise carried as a list of diffs. */
#include <string.h>

#include "binlog_int.h"

enum { JD_REPLACE = 0, JD_INSERT = 1, JD_REMOVE = 2 };

/* End of the JSON value that starts at s[i] (our own well-formed text). */
static size_t
jsondiff_skip(const char *s, size_t n, size_t i)
{
	int depth = 0;
	bool str = false;

	for (; i < n; i++) {
		if (str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				str = false;
			if (!str && depth == 0)
				return i + 1;
			continue;
		}
		if (s[i] == '"')
			str = true;
		else if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']') {
			if (--depth == 0)
				return i + 1;
			if (depth < 0)
				return i;
		} else if (depth == 0 && (s[i] == ',' || s[i] == ' '))
			return i;
	}
	return n;
}

/* Where one path leg (".key" or "[n]") is in the container at s[at]. */
struct jd_at {
	size_t		 ms;		/* member start (key or element) */
	size_t		 vs, ve;	/* its value, or the insertion point */
	bool		 found;
};

/* Finds one path leg in the container at s[at]. */
static int
jsondiff_leg(const char *s, size_t n, size_t at, const char *leg,
    size_t llen, struct jd_at *m)
{
	size_t i = at + 1, k, idx = 0, want = 0;
	bool obj = s[at] == '{';

	m->found = false;
	if ((obj && leg[0] != '.') || (!obj && leg[0] != '['))
		return -1;
	for (k = 1; !obj && k < llen && leg[k] != ']'; k++)
		want = want * 10 + (size_t)(leg[k] - '0');
	while (i < n && s[i] != '}' && s[i] != ']') {
		m->ms = m->vs = i;
		if (obj) {
			k = jsondiff_skip(s, n, i);
			m->found = k - i - 2 == llen - 1 &&
			    memcmp(s + i + 1, leg + 1, llen - 1) == 0;
			m->vs = i = k + 2;		/* past '": ' */
		} else
			m->found = idx++ == want;
		m->ve = i = jsondiff_skip(s, n, i);
		if (m->found)
			return 0;
		if (i < n && s[i] == ',')
			i += 2;
	}
	m->ms = m->vs = m->ve = i;
	return 0;
}

/* Applies one diff to doc (in a), writing the result to b. */
static int
jsondiff_one(const struct obuf *a, struct obuf *b, int op, const char *path,
    size_t plen, const struct obuf *val)
{
	size_t at = 0, p = 1, q, ls = 0, e;
	struct jd_at m = { 0, 0, 0, false };
	const char *s = a->buf;

	if (plen < 1 || path[0] != '$')
		return -1;
	while (p < plen) {
		q = p + 1;
		while (q < plen && path[q] != '.' && path[q] != '[')
			q++;
		if (at >= a->len || (s[at] != '{' && s[at] != '[') ||
		    jsondiff_leg(s, a->len, at, path + p, q - p, &m) == -1)
			return -1;
		ls = p;
		if (q < plen && !m.found)
			return -1;
		at = m.vs;
		p = q;
	}
	if (p == 1 || m.ve >= a->len)
		return -1;
	b->len = 0;
	if (op == JD_REPLACE && m.found) {
		obuf_add(b, s, m.vs);
		obuf_add(b, val->buf, val->len);
		obuf_add(b, s + m.ve, a->len - m.ve);
	} else if (op == JD_REMOVE && m.found) {
		/* the member and one separator: after it, else before it */
		e = m.ve;
		if (s[e] == ',')
			e += 2;
		else if (m.ms >= 2 && s[m.ms - 1] == ' ')
			m.ms -= 2;
		obuf_add(b, s, m.ms);
		obuf_add(b, s + e, a->len - e);
	} else if (op == JD_INSERT) {
		/* a new member at the end, or an element before index n */
		e = path[ls] == '.' && m.found ? m.ms : m.ms;
		if (path[ls] == '.' && m.found)
			return -1;
		obuf_add(b, s, e);
		if (!m.found && s[e - 1] != '{' && s[e - 1] != '[')
			obuf_add(b, ", ", 2);
		if (path[ls] == '.')
			obuf_printf(b, "\"%.*s\": ", (int)(p - ls - 1),
			    path + ls + 1);
		obuf_add(b, val->buf, val->len);
		if (m.found)
			obuf_add(b, ", ", 2);
		obuf_add(b, s + e, a->len - e);
	} else
		return -1;
	return 0;
}

/* One JSON column of a PARTIAL_UPDATE_ROWS after image: a length, then
 * diffs (op, path, and unless REMOVE a binary JSON value).  With before
 * (the before image's text) the rebuilt document goes to o; without, a
 * list of {"op","path","value"} goes to o for the record's json_diffs.
 * w[0] and w[1] are the reader's reused work buffers. */
int
jsondiff_apply(struct cursor *c, const struct column *col,
    const char *before, size_t blen, struct obuf *o, struct obuf w[3])
{
	static const char *opname[] = { "replace", "insert", "remove" };
	size_t n = cursor_uint(c, col->meta), plen, vlen, cur = 0;
	const uint8_t *d = cursor_bytes(c, n), *path, *v;
	struct cursor dc;
	int op;

	if (d == NULL)
		return -1;
	cursor_init(&dc, d, n);
	w[0].len = 0;
	if (before != NULL)
		obuf_add(&w[0], before, blen);
	else
		obuf_str(o, "[");
	while (cursor_left(&dc) > 0) {
		op = (int)cursor_uint(&dc, 1);
		plen = cursor_lenenc(&dc);
		path = cursor_bytes(&dc, plen);
		vlen = op == JD_REMOVE ? 0 : cursor_lenenc(&dc);
		v = cursor_bytes(&dc, vlen);
		w[2].len = 0;
		if (dc.err || op > JD_REMOVE || (op != JD_REMOVE &&
		    jsonb_text(v, vlen, &w[2]) == -1))
			return -1;
		if (before == NULL) {
			obuf_printf(o, "%s{\"op\":\"%s\",\"path\":",
			    o->buf[o->len - 1] == '[' ? "" : ",", opname[op]);
			obuf_json_str(o, path, plen);
			if (op != JD_REMOVE) {
				obuf_str(o, ",\"value\":");
				obuf_add(o, w[2].buf, w[2].len);
			}
			obuf_str(o, "}");
			continue;
		}
		if (jsondiff_one(&w[cur], &w[1 - cur], op, (const char *)path,
		    plen, &w[2]) == -1)
			return -1;
		cur = 1 - cur;
	}
	if (before == NULL)
		obuf_str(o, "]");
	else
		obuf_add(o, w[cur].buf, w[cur].len);
	return 0;
}
