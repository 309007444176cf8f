/* msg.c: encoding and strict decoding of the messages in msg.h. */
#include "build.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "msg.h"

const char *
msg_type_name(uint32_t type)
{
	switch (type) {
#define MSG_TYPE_CASE(name, value)	case MSG_##name: return #name;
	MSG_TYPES(MSG_TYPE_CASE)
#undef MSG_TYPE_CASE
	default:
		return "UNKNOWN";
	}
}

/*
 * The body is a map32 whose count is patched in by msg_out_finish(), so
 * that callers need not count their fields in advance.
 */
void
msg_out_begin(struct msg_out *m, uint32_t type, uint32_t id)
{
	static const char map32[5] = { (char)0xdf, 0, 0, 0, 0 };

	msgpack_sbuffer_init(&m->sbuf);
	msgpack_packer_init(&m->pk, &m->sbuf, msgpack_sbuffer_write);
	msgpack_pack_array(&m->pk, 3);
	msgpack_pack_uint32(&m->pk, type);
	msgpack_pack_uint32(&m->pk, id);
	m->map_at = m->sbuf.size;
	msgpack_sbuffer_write(&m->sbuf, map32, sizeof(map32));
	m->nfields = 0;
	m->type = type;
}

static void
msg_put_key(struct msg_out *m, const char *key)
{
	size_t len = strlen(key);

	msgpack_pack_str(&m->pk, len);
	msgpack_pack_str_body(&m->pk, key, len);
	m->nfields++;
}

void
msg_put_u64(struct msg_out *m, const char *key, uint64_t v)
{
	msg_put_key(m, key);
	msgpack_pack_uint64(&m->pk, v);
}

void
msg_put_i64(struct msg_out *m, const char *key, int64_t v)
{
	msg_put_key(m, key);
	msgpack_pack_int64(&m->pk, v);
}

void
msg_put_bool(struct msg_out *m, const char *key, bool v)
{
	msg_put_key(m, key);
	if (v)
		msgpack_pack_true(&m->pk);
	else
		msgpack_pack_false(&m->pk);
}

void
msg_put_strn(struct msg_out *m, const char *key, const char *s, size_t len)
{
	msg_put_key(m, key);
	msgpack_pack_str(&m->pk, len);
	msgpack_pack_str_body(&m->pk, s, len);
}

void
msg_put_str(struct msg_out *m, const char *key, const char *s)
{
	msg_put_strn(m, key, s, strlen(s));
}

const char *
msg_out_finish(struct msg_out *m, size_t *len)
{
	unsigned char *p = (unsigned char *)m->sbuf.data + m->map_at + 1;

	p[0] = m->nfields >> 24;
	p[1] = m->nfields >> 16;
	p[2] = m->nfields >> 8;
	p[3] = m->nfields;
	*len = m->sbuf.size;
	return m->sbuf.data;
}

void
msg_out_free(struct msg_out *m)
{
	msgpack_sbuffer_destroy(&m->sbuf);
}

static int msg_fail(struct msg_in *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first error only: it is the one that explains the rest. */
static int
msg_fail(struct msg_in *in, const char *fmt, ...)
{
	va_list ap;

	if (in->error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(in->error, sizeof(in->error), fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
msg_in_parse(struct msg_in *in, const msgpack_object *o)
{
	const msgpack_object *a;

	memset(in, 0, sizeof(*in));
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3)
		return msg_fail(in, "%s", "not a [type, id, body] array");
	a = o->via.array.ptr;
	if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[0].via.u64 > UINT32_MAX)
		return msg_fail(in, "%s", "type is not an unsigned integer");
	if (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[1].via.u64 > UINT32_MAX)
		return msg_fail(in, "%s", "id is not an unsigned integer");
	if (a[2].type != MSGPACK_OBJECT_MAP)
		return msg_fail(in, "%s", "body is not a map");
	if (a[2].via.map.size > MSG_MAX_FIELDS)
		return msg_fail(in, "%s", "body has too many fields");
	in->type = (uint32_t)a[0].via.u64;
	in->id = (uint32_t)a[1].via.u64;
	in->body = &a[2].via.map;
	return 0;
}

static bool
msg_taken(const struct msg_in *in, uint32_t i)
{
	return (in->taken[i / 64] >> (i % 64)) & 1;
}

static int
msg_key_is(const msgpack_object *k, const char *key)
{
	size_t len = strlen(key);

	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == len &&
	    memcmp(k->via.str.ptr, key, len) == 0;
}

static int
msg_find(const struct msg_in *in, const char *key)
{
	uint32_t i;

	for (i = 0; i < in->body->size; i++)
		if (msg_key_is(&in->body->ptr[i].key, key))
			return (int)i;
	return -1;
}

bool
msg_has(const struct msg_in *in, const char *key)
{
	return msg_find(in, key) != -1;
}

/* Takes the field key, marking it consumed; NULL (and an error) if absent
 * or already taken. */
static const msgpack_object *
msg_take(struct msg_in *in, const char *key)
{
	int i = msg_find(in, key);

	if (i == -1) {
		msg_fail(in, "missing field \"%s\"", key);
		return NULL;
	}
	if (msg_taken(in, (uint32_t)i)) {
		msg_fail(in, "field \"%s\" read twice", key);
		return NULL;
	}
	in->taken[i / 64] |= 1ULL << (i % 64);
	return &in->body->ptr[i].val;
}

void
msg_get_u64(struct msg_in *in, const char *key, uint64_t *v)
{
	const msgpack_object *o = msg_take(in, key);

	if (o == NULL)
		return;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		msg_fail(in, "field \"%s\" is not an unsigned integer", key);
		return;
	}
	*v = o->via.u64;
}

void
msg_get_u32(struct msg_in *in, const char *key, uint32_t *v)
{
	uint64_t u = 0;

	msg_get_u64(in, key, &u);
	if (u > UINT32_MAX) {
		msg_fail(in, "field \"%s\" is out of range", key);
		return;
	}
	*v = (uint32_t)u;
}

void
msg_get_i64(struct msg_in *in, const char *key, int64_t *v)
{
	const msgpack_object *o = msg_take(in, key);

	if (o == NULL)
		return;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*v = o->via.i64;
	else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= INT64_MAX)
		*v = (int64_t)o->via.u64;
	else
		msg_fail(in, "field \"%s\" is not a signed integer", key);
}

void
msg_get_bool(struct msg_in *in, const char *key, bool *v)
{
	const msgpack_object *o = msg_take(in, key);

	if (o == NULL)
		return;
	if (o->type != MSGPACK_OBJECT_BOOLEAN) {
		msg_fail(in, "field \"%s\" is not a boolean", key);
		return;
	}
	*v = o->via.boolean;
}

void
msg_get_str(struct msg_in *in, const char *key, const char **s, size_t *len)
{
	const msgpack_object *o = msg_take(in, key);

	if (o == NULL)
		return;
	if (o->type != MSGPACK_OBJECT_STR) {
		msg_fail(in, "field \"%s\" is not a string", key);
		return;
	}
	*s = o->via.str.ptr;
	*len = o->via.str.size;
}

void
msg_get_strbuf(struct msg_in *in, const char *key, char *buf, size_t size)
{
	const char *s = NULL;
	size_t len = 0;

	msg_get_str(in, key, &s, &len);
	if (s == NULL)
		return;
	if (len >= size || memchr(s, '\0', len) != NULL) {
		msg_fail(in, "field \"%s\" is too long or holds NUL", key);
		return;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
}

int
msg_end(struct msg_in *in)
{
	uint32_t i;

	if (in->error[0] != '\0')
		return -1;
	for (i = 0; i < in->body->size; i++) {
		if (msg_taken(in, i))
			continue;
		if (in->body->ptr[i].key.type == MSGPACK_OBJECT_STR)
			snprintf(in->error, sizeof(in->error),
			    "unexpected field \"%.*s\"",
			    (int)in->body->ptr[i].key.via.str.size,
			    in->body->ptr[i].key.via.str.ptr);
		else
			snprintf(in->error, sizeof(in->error),
			    "field %u has a non-string key", i);
		return -1;
	}
	return 0;
}

void
msg_sibling_bad(const char *who, const struct msg_in *in)
{
	fatalx("%s sent a malformed or unexpected %s (%u): %s", who,
	    msg_type_name(in->type), in->type, in->error[0] ? in->error :
	    "not in its part of the catalogue");
}

void
msg_put_stats(struct msg_out *m, const struct msg_stats *v)
{
#define PUT_U(n)	msg_put_u64(m, #n, v->n);
#define PUT_S(n)	msg_put_str(m, #n, v->n);
#define X(n, k, h)	PUT_##k(n)
	MSG_STATS_FIELDS(X)
#undef X
#undef PUT_S
#undef PUT_U
}

void
msg_get_stats(struct msg_in *in, struct msg_stats *v)
{
#define GET_U(n)	msg_get_u64(in, #n, &v->n);
#define GET_S(n)	msg_get_strbuf(in, #n, v->n, sizeof(v->n));
#define X(n, k, h)	GET_##k(n)
	MSG_STATS_FIELDS(X)
#undef X
#undef GET_S
#undef GET_U
}

void
msg_sibling_end(const char *who, struct msg_in *in)
{
	if (msg_end(in) == -1)
		msg_sibling_bad(who, in);
}
