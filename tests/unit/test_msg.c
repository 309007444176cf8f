/* test_msg.c: messages through the real encoder and msgpack-c's unpacker:
 * typed put/get round trips, positions, and every way msg_in_parse and
 * msg_end must refuse a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "msg.h"
#include "position.h"
#include "tap.h"
#include "util.h"

/* An encoded message unpacked by msgpack-c, as a reader holds it. */
struct decoded {
	msgpack_unpacked	 up;
	struct msg_in		 in;
	int			 rc;		/* of msg_in_parse */
};

static void
decode_bytes(struct decoded *d, const char *data, size_t len)
{
	size_t off = 0;

	msgpack_unpacked_init(&d->up);
	d->rc = -2;
	if (!CHECK_INT(msgpack_unpack_next(&d->up, data, len, &off),
	    MSGPACK_UNPACK_SUCCESS) || !CHECK_U64(off, len))
		return;
	d->rc = msg_in_parse(&d->in, &d->up.data);
}

/* Finishes m and decodes it; msg_in_parse must accept it. */
static int
decode(struct decoded *d, struct msg_out *m)
{
	const char	*data;
	size_t		 len;

	data = msg_out_finish(m, &len);
	decode_bytes(d, data, len);
	if (!CHECK_INT(d->rc, 0))
		printf("#   error: %s\n", d->in.error);
	return d->rc;
}

static void
decoded_free(struct decoded *d)
{
	msgpack_unpacked_destroy(&d->up);
}

static void
test_encoding_bytes(void)
{
	/* [200, 7, {"pid": 5}] by the msgpack spec: fixarray 3, uint8 200,
	 * fixint 7, map32 of 1, fixstr "pid", fixint 5 */
	static const unsigned char want[] = { 0x93, 0xcc, 0xc8, 0x07, 0xdf,
	    0x00, 0x00, 0x00, 0x01, 0xa3, 'p', 'i', 'd', 0x05 };
	struct msg_out	 m;
	const char	*data;
	size_t		 len;

	msg_out_begin(&m, MSG_READY, 7);
	msg_put_u64(&m, "pid", 5);
	data = msg_out_finish(&m, &len);
	if (CHECK_U64(len, sizeof(want)))
		CHECK(memcmp(data, want, len) == 0);
	msg_out_free(&m);
}

static void
test_roundtrip_types(void)
{
	struct msg_out	 m;
	struct decoded	 d;
	uint64_t	 u0 = 1, umax = 0;
	uint32_t	 u32 = 0;
	int64_t		 imin = 0, ineg = 0, imax = 0, ipos = 0;
	bool		 t = false, f = true;
	const char	*s = NULL;
	size_t		 slen = 0;
	char		 buf[32] = "", empty[4] = "x";

	msg_out_begin(&m, MSG_CKPT_SAVE, 4000000000U);
	msg_put_u64(&m, "u0", 0);
	msg_put_u64(&m, "umax", UINT64_MAX);
	msg_put_u64(&m, "u32", UINT32_MAX);
	msg_put_i64(&m, "imin", INT64_MIN);
	msg_put_i64(&m, "ineg", -1);
	msg_put_i64(&m, "imax", INT64_MAX);
	msg_put_i64(&m, "ipos", 5);
	msg_put_bool(&m, "t", true);
	msg_put_bool(&m, "f", false);
	msg_put_strn(&m, "bin", "a\0b", 3);
	msg_put_str(&m, "s", "mariadb-bin.000003");
	msg_put_str(&m, "empty", "");
	if (decode(&d, &m) == 0) {
		CHECK_INT(d.in.type, MSG_CKPT_SAVE);
		CHECK_U64(d.in.id, 4000000000U);
		CHECK(msg_has(&d.in, "umax"));
		CHECK(!msg_has(&d.in, "nope"));
		msg_get_u64(&d.in, "u0", &u0);
		msg_get_u64(&d.in, "umax", &umax);
		msg_get_u32(&d.in, "u32", &u32);
		msg_get_i64(&d.in, "imin", &imin);
		msg_get_i64(&d.in, "ineg", &ineg);
		msg_get_i64(&d.in, "imax", &imax);
		msg_get_i64(&d.in, "ipos", &ipos);
		msg_get_bool(&d.in, "t", &t);
		msg_get_bool(&d.in, "f", &f);
		msg_get_str(&d.in, "bin", &s, &slen);
		msg_get_strbuf(&d.in, "s", buf, sizeof(buf));
		msg_get_strbuf(&d.in, "empty", empty, sizeof(empty));
		if (!CHECK_INT(msg_end(&d.in), 0))
			printf("#   error: %s\n", d.in.error);
		CHECK_U64(u0, 0);
		CHECK_U64(umax, UINT64_MAX);
		CHECK_U64(u32, UINT32_MAX);
		CHECK_INT(imin, INT64_MIN);
		CHECK_INT(ineg, -1);
		CHECK_INT(imax, INT64_MAX);
		CHECK_INT(ipos, 5);
		CHECK(t == true && f == false);
		CHECK(slen == 3 && s != NULL && memcmp(s, "a\0b", 3) == 0);
		CHECK_STR(buf, "mariadb-bin.000003");
		CHECK_STR(empty, "");
	}
	decoded_free(&d);
	msg_out_free(&m);
}

static void
test_strbuf_sizes(void)
{
	struct msg_out	 m;
	struct decoded	 d;
	char		 buf[6];

	msg_out_begin(&m, MSG_CKPT_FAILED, 1);
	msg_put_str(&m, "error", "hello");
	if (decode(&d, &m) == 0) {
		msg_get_strbuf(&d.in, "error", buf, sizeof(buf));
		CHECK_INT(msg_end(&d.in), 0);
		CHECK_STR(buf, "hello");
	}
	decoded_free(&d);
	if (decode(&d, &m) == 0) {
		msg_get_strbuf(&d.in, "error", buf, 5);
		CHECK_INT(msg_end(&d.in), -1);
		CHECK_HAS(d.in.error, "\"error\"");
	}
	decoded_free(&d);
	msg_out_free(&m);
}

static void
fill_position(struct position *p)
{
	memset(p, 0, sizeof(*p));
	memset(p->gtid, 'g', sizeof(p->gtid) - 1);
	memcpy(p->gtid, "0-1-42,", 7);
	snprintf(p->file, sizeof(p->file), "mariadb-bin.000003");
	p->offset = 0x1122334455667788ULL;
	p->server_id = UINT32_MAX;
	snprintf(p->server_uuid, sizeof(p->server_uuid),
	    "76f3e7be-6720-11ed-9cad-0242ac110002");
	p->ts = 1700000000;
	p->rows_done = 12;
}

static void
test_position_roundtrip(void)
{
	struct position	 p, q;
	struct msg_out	 m;
	struct decoded	 d;
	bool		 force = false;

	fill_position(&p);
	msg_out_begin(&m, MSG_CKPT_SAVE, 3);
	position_put(&m, &p);
	msg_put_bool(&m, "force", true);
	if (decode(&d, &m) == 0) {
		position_get(&d.in, &q);
		msg_get_bool(&d.in, "force", &force);
		if (!CHECK_INT(msg_end(&d.in), 0))
			printf("#   error: %s\n", d.in.error);
		CHECK_STR(q.gtid, p.gtid);
		CHECK_STR(q.file, p.file);
		CHECK_U64(q.offset, p.offset);
		CHECK_U64(q.server_id, p.server_id);
		CHECK_STR(q.server_uuid, p.server_uuid);
		CHECK_U64(q.ts, p.ts);
		CHECK_U64(q.rows_done, p.rows_done);
		CHECK(force);
	}
	decoded_free(&d);
	msg_out_free(&m);
}

/* A snapshot's progress rides with its position, through a message and
 * through position_copy; a position without one clears the copy's. */
static void
test_position_snapshot(void)
{
	static struct position p, q, c;
	struct msg_out	 m;
	struct decoded	 d;

	fill_position(&p);
	p.snap.id = 1700000000123456ULL;
	strcpy(p.snap.kind, "initial");
	strcpy(p.snap.state, "running");
	strcpy(p.snap.db, "shop");
	strcpy(p.snap.table, "orders");
	strcpy(p.snap.last_key, "[7,\"x\"]");
	strcpy(p.snap.cond, "a < 'z'");
	p.snap.rows = 1024;
	msg_out_begin(&m, MSG_CKPT_SAVE, 4);
	position_put(&m, &p);
	if (decode(&d, &m) == 0) {
		position_get(&d.in, &q);
		if (!CHECK_INT(msg_end(&d.in), 0))
			printf("#   error: %s\n", d.in.error);
		CHECK_U64(q.snap.id, p.snap.id);
		CHECK_STR(q.snap.state, "running");
		CHECK_STR(q.snap.table, "orders");
		CHECK_STR(q.snap.last_key, "[7,\"x\"]");
		CHECK_U64(q.snap.rows, 1024);
		CHECK_STR(q.snap.cond, "a < 'z'");
	}
	decoded_free(&d);
	msg_out_free(&m);
	position_copy(&c, &p);
	CHECK_U64(c.snap.id, p.snap.id);
	CHECK_STR(c.snap.last_key, p.snap.last_key);
	fill_position(&q);
	position_advance(&c, &q);	/* a later position keeps the progress */
	CHECK_U64(c.snap.id, p.snap.id);
	CHECK_STR(c.snap.cond, p.snap.cond);
	position_copy(&c, &q);
	CHECK_U64(c.snap.id, 0);
}

static void
test_position_str(void)
{
	struct position	 p;
	char		 buf[128];

	memset(&p, 0, sizeof(p));
	snprintf(p.file, sizeof(p.file), "mariadb-bin.000003");
	p.offset = 1234;
	CHECK_STR(position_str(&p, buf, sizeof(buf)), "mariadb-bin.000003:1234");
	snprintf(p.gtid, sizeof(p.gtid), "0-1-42");
	CHECK_STR(position_str(&p, buf, sizeof(buf)),
	    "mariadb-bin.000003:1234 gtid 0-1-42");
}

/* A position missing a field, or with a field of the wrong type, fails. */
static void
test_position_refused(void)
{
	struct position	 p, q;
	struct msg_out	 m;
	struct decoded	 d;

	fill_position(&p);
	msg_out_begin(&m, MSG_CKPT_POSITION, 3);
	msg_put_str(&m, "gtid", p.gtid);
	msg_put_str(&m, "file", p.file);
	msg_put_str(&m, "offset", "1234");
	if (decode(&d, &m) == 0) {
		position_get(&d.in, &q);
		CHECK_INT(msg_end(&d.in), -1);
		CHECK_HAS(d.in.error, "\"offset\" is not an unsigned integer");
	}
	decoded_free(&d);
	msg_out_free(&m);
}

/* Runs one get on a one-field body and expects msg_end to fail with frag. */
static void
refuse_get(void (*put)(struct msg_out *), void (*get)(struct msg_in *),
    const char *frag)
{
	struct msg_out	 m;
	struct decoded	 d;

	msg_out_begin(&m, MSG_CKPT_SAVED, 9);
	put(&m);
	if (decode(&d, &m) == 0) {
		get(&d.in);
		CHECK_INT(msg_end(&d.in), -1);
		CHECK_HAS(d.in.error, frag);
	}
	decoded_free(&d);
	msg_out_free(&m);
}

static void put_extra(struct msg_out *m)
{
	msg_put_bool(m, "committed", true);
	msg_put_u64(m, "extra", 1);
}
static void put_str_n(struct msg_out *m) { msg_put_str(m, "n", "42"); }
static void put_neg_n(struct msg_out *m) { msg_put_i64(m, "n", -5); }
static void put_big_n(struct msg_out *m) { msg_put_u64(m, "n", 1ULL << 32); }
static void put_huge_n(struct msg_out *m) { msg_put_u64(m, "n", UINT64_MAX); }
static void put_int_b(struct msg_out *m) { msg_put_u64(m, "b", 1); }

static void get_committed(struct msg_in *in)
{
	bool b;

	msg_get_bool(in, "committed", &b);
}
static void get_n_u64(struct msg_in *in)
{
	uint64_t u;

	msg_get_u64(in, "n", &u);
}
static void get_n_u32(struct msg_in *in)
{
	uint32_t u;

	msg_get_u32(in, "n", &u);
}
static void get_n_i64(struct msg_in *in)
{
	int64_t i;

	msg_get_i64(in, "n", &i);
}
static void get_b(struct msg_in *in)
{
	bool b;

	msg_get_bool(in, "b", &b);
}
static void get_n_twice(struct msg_in *in)
{
	uint64_t u;

	msg_get_u64(in, "n", &u);
	msg_get_u64(in, "n", &u);
}
static void get_missing(struct msg_in *in)
{
	bool b;

	msg_get_bool(in, "committed", &b);
	msg_get_bool(in, "missing", &b);
}

static void
test_end_refuses(void)
{
	refuse_get(put_extra, get_committed, "unexpected field \"extra\"");
	refuse_get(put_extra, get_missing, "missing field \"missing\"");
	refuse_get(put_str_n, get_n_u64, "\"n\" is not an unsigned integer");
	refuse_get(put_neg_n, get_n_u64, "\"n\" is not an unsigned integer");
	refuse_get(put_big_n, get_n_u32, "\"n\" is out of range");
	refuse_get(put_huge_n, get_n_i64, "\"n\" is not a signed integer");
	refuse_get(put_int_b, get_b, "\"b\" is not a boolean");
	refuse_get(put_big_n, get_n_twice, "\"n\" read twice");
}

/* Encodes an arbitrary object with msgpack-c itself, then parses it. */
static void
refuse_parse(void (*pack)(msgpack_packer *), const char *frag)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	struct decoded	 d;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack(&pk);
	decode_bytes(&d, sb.data, sb.size);
	CHECK_INT(d.rc, -1);
	CHECK_HAS(d.in.error, frag);
	decoded_free(&d);
	msgpack_sbuffer_destroy(&sb);
}

static void pk_int(msgpack_packer *pk) { msgpack_pack_uint32(pk, 200); }
static void pk_str(msgpack_packer *pk) { msgpack_pack_str_with_body(pk, "x", 1); }
static void pk_map(msgpack_packer *pk) { msgpack_pack_map(pk, 0); }
static void pk_arity2(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint32(pk, 200);
	msgpack_pack_uint32(pk, 1);
}
static void pk_arity4(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 4);
	msgpack_pack_uint32(pk, 200);
	msgpack_pack_uint32(pk, 1);
	msgpack_pack_map(pk, 0);
	msgpack_pack_nil(pk);
}
/* [type, id, body] with the three given packers */
static void
pk_triple(msgpack_packer *pk, void (*t)(msgpack_packer *),
    void (*i)(msgpack_packer *), void (*b)(msgpack_packer *))
{
	msgpack_pack_array(pk, 3);
	t(pk);
	i(pk);
	b(pk);
}
static void pk_neg(msgpack_packer *pk) { msgpack_pack_int64(pk, -1); }
static void pk_big(msgpack_packer *pk) { msgpack_pack_uint64(pk, 1ULL << 32); }
static void pk_nil(msgpack_packer *pk) { msgpack_pack_nil(pk); }
static void pk_arr0(msgpack_packer *pk) { msgpack_pack_array(pk, 0); }
static void pk_map65(msgpack_packer *pk)
{
	char key[8];
	int i;

	msgpack_pack_map(pk, MSG_MAX_FIELDS + 1);
	for (i = 0; i <= MSG_MAX_FIELDS; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		msgpack_pack_str_with_body(pk, key, strlen(key));
		msgpack_pack_nil(pk);
	}
}
static void pk_body_nil(msgpack_packer *pk) { pk_triple(pk, pk_int, pk_int, pk_nil); }
static void pk_body_arr(msgpack_packer *pk) { pk_triple(pk, pk_int, pk_int, pk_arr0); }
static void pk_type_str(msgpack_packer *pk) { pk_triple(pk, pk_str, pk_int, pk_map); }
static void pk_type_neg(msgpack_packer *pk) { pk_triple(pk, pk_neg, pk_int, pk_map); }
static void pk_type_big(msgpack_packer *pk) { pk_triple(pk, pk_big, pk_int, pk_map); }
static void pk_id_neg(msgpack_packer *pk) { pk_triple(pk, pk_int, pk_neg, pk_map); }
static void pk_id_nil(msgpack_packer *pk) { pk_triple(pk, pk_int, pk_nil, pk_map); }
static void pk_too_many(msgpack_packer *pk) { pk_triple(pk, pk_int, pk_int, pk_map65); }

static void
test_parse_refuses(void)
{
	refuse_parse(pk_int, "not a [type, id, body] array");
	refuse_parse(pk_str, "not a [type, id, body] array");
	refuse_parse(pk_map, "not a [type, id, body] array");
	refuse_parse(pk_arity2, "not a [type, id, body] array");
	refuse_parse(pk_arity4, "not a [type, id, body] array");
	refuse_parse(pk_body_nil, "body is not a map");
	refuse_parse(pk_body_arr, "body is not a map");
	refuse_parse(pk_type_str, "type is not an unsigned integer");
	refuse_parse(pk_type_neg, "type is not an unsigned integer");
	refuse_parse(pk_type_big, "type is not an unsigned integer");
	refuse_parse(pk_id_neg, "id is not an unsigned integer");
	refuse_parse(pk_id_nil, "id is not an unsigned integer");
	refuse_parse(pk_too_many, "too many fields");
}

/* A body key that is not a string can never be taken: msg_end says so. */
static void pk_int_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_uint32(pk, 1);
	msgpack_pack_uint32(pk, 2);
}
static void pk_body_int_key(msgpack_packer *pk) { pk_triple(pk, pk_int, pk_int, pk_int_key); }

static void
test_non_string_key(void)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	struct decoded	 d;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pk_body_int_key(&pk);
	decode_bytes(&d, sb.data, sb.size);
	if (d.rc == 0) {
		CHECK_INT(msg_end(&d.in), -1);
		CHECK_HAS(d.in.error, "non-string key");
	} else
		CHECK_HAS(d.in.error, "key");
	decoded_free(&d);
	msgpack_sbuffer_destroy(&sb);
}

/* Every field of a full body is taken in any order, the ones past the
 * first 64 too; one left unread is named by msg_end. */
static void
test_many_fields(void)
{
	struct msg_out	 m;
	struct decoded	 d;
	char		 key[8];
	uint64_t	 v;
	int		 i, pass;

	for (pass = 0; pass < 2; pass++) {
		msg_out_begin(&m, MSG_STATS, 1);
		for (i = 0; i < MSG_MAX_FIELDS; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			msg_put_u64(&m, key, (uint64_t)i * 3);
		}
		if (decode(&d, &m) != 0) {
			CHECK(!"a body of MSG_MAX_FIELDS fields parses");
			decoded_free(&d);
			msg_out_free(&m);
			continue;
		}
		for (i = MSG_MAX_FIELDS - 1; i >= 0; i--) {
			if (pass == 1 && i == 100)
				continue;
			snprintf(key, sizeof(key), "k%d", i);
			v = 0;
			msg_get_u64(&d.in, key, &v);
			CHECK_U64(v, (uint64_t)i * 3);
		}
		if (pass == 0)
			CHECK_INT(msg_end(&d.in), 0);
		else {
			CHECK_INT(msg_end(&d.in), -1);
			CHECK_HAS(d.in.error, "k100");
		}
		decoded_free(&d);
		msg_out_free(&m);
	}
}

/* struct msg_stats through msg_put_stats and msg_get_stats. */
static void
test_stats_roundtrip(void)
{
	static struct msg_stats in, out;
	struct msg_out	 m;
	struct decoded	 d;

	memset(&in, 0, sizeof(in));
	strlcpy_(in.server_host, "127.0.0.1:3306", sizeof(in.server_host));
	strlcpy_(in.gtid, "0-1-42", sizeof(in.gtid));
	in.rows_update = 7;
	in.synced_at = 1796472412;
	msg_out_begin(&m, MSG_STATS, 1);
	msg_put_stats(&m, &in);
	if (decode(&d, &m) != 0) {
		CHECK(!"a stats body parses");
		decoded_free(&d);
		msg_out_free(&m);
		return;
	}
	msg_get_stats(&d.in, &out);
	CHECK_INT(msg_end(&d.in), 0);
	CHECK_STR(out.server_host, "127.0.0.1:3306");
	CHECK_STR(out.gtid, "0-1-42");
	CHECK_U64(out.rows_update, 7);
	CHECK_U64(out.synced_at, 1796472412);
	CHECK_U64(out.rows_insert, 0);
	decoded_free(&d);
	msg_out_free(&m);
}

static void
test_type_names(void)
{
	CHECK_STR(msg_type_name(MSG_READY), "READY");
	CHECK_STR(msg_type_name(MSG_CKPT_SAVE), "CKPT_SAVE");
	CHECK_STR(msg_type_name(MSG_CKPT_POSITION), "CKPT_POSITION");
	CHECK_STR(msg_type_name(12345), "UNKNOWN");
}

int
main(void)
{
	RUN(test_encoding_bytes);
	RUN(test_roundtrip_types);
	RUN(test_strbuf_sizes);
	RUN(test_position_roundtrip);
	RUN(test_position_snapshot);
	RUN(test_position_str);
	RUN(test_position_refused);
	RUN(test_end_refuses);
	RUN(test_parse_refuses);
	RUN(test_non_string_key);
	RUN(test_many_fields);
	RUN(test_stats_roundtrip);
	RUN(test_type_names);
	return tap_done();
}
