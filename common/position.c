/* position.c: a position's fields in messages, and its text for logs. */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "position.h"
#include "util.h"

void
position_put(struct msg_out *m, const struct position *p)
{
	msg_put_str(m, "gtid", p->gtid);
	msg_put_str(m, "file", p->file);
	msg_put_u64(m, "offset", p->offset);
	msg_put_u64(m, "server_id", p->server_id);
	msg_put_str(m, "server_uuid", p->server_uuid);
	msg_put_u64(m, "ts", p->ts);
	msg_put_u64(m, "rows_done", p->rows_done);
	if (p->snap.id == 0)
		return;
	msg_put_u64(m, "snap_id", p->snap.id);
	msg_put_str(m, "snap_kind", p->snap.kind);
	msg_put_str(m, "snap_state", p->snap.state);
	msg_put_str(m, "snap_db", p->snap.db);
	msg_put_str(m, "snap_table", p->snap.table);
	msg_put_str(m, "snap_key", p->snap.last_key);
	msg_put_u64(m, "snap_rows", p->snap.rows);
	msg_put_str(m, "snap_cond", p->snap.cond);
}

/* A position copied by its fields: a struct copy moves all 8 KiB of
 * its GTID text, once or twice per transaction (and most of a small
 * transaction's cost was those copies).  A snapshot's progress only
 * when there is one (id 0: none, the rest unset). */
void
position_copy(struct position *dst, const struct position *src)
{
	strlcpy_(dst->gtid, src->gtid, sizeof(dst->gtid));
	strlcpy_(dst->file, src->file, sizeof(dst->file));
	dst->offset = src->offset;
	dst->server_id = src->server_id;
	strlcpy_(dst->server_uuid, src->server_uuid, sizeof(dst->server_uuid));
	dst->ts = src->ts;
	dst->rows_done = src->rows_done;
	if (src->snap.id != 0)
		dst->snap = src->snap;
	else
		dst->snap.id = 0;
}

/* A snapshot's progress holds at every later position too (they come
 * after its records), so a position that carries none keeps the one
 * dst carries: a save of a later position, or a rewind to it, must not
 * lose it. */
void
position_advance(struct position *dst, const struct position *src)
{
	uint64_t id = dst->snap.id;

	position_copy(dst, src);
	if (src->snap.id == 0)
		dst->snap.id = id;	/* position_copy left the rest */
}

void
position_get(struct msg_in *in, struct position *p)
{
	memset(p, 0, sizeof(*p));
	msg_get_strbuf(in, "gtid", p->gtid, sizeof(p->gtid));
	msg_get_strbuf(in, "file", p->file, sizeof(p->file));
	msg_get_u64(in, "offset", &p->offset);
	msg_get_u32(in, "server_id", &p->server_id);
	msg_get_strbuf(in, "server_uuid", p->server_uuid,
	    sizeof(p->server_uuid));
	msg_get_u64(in, "ts", &p->ts);
	msg_get_u64(in, "rows_done", &p->rows_done);
	if (!msg_has(in, "snap_id"))
		return;
	msg_get_u64(in, "snap_id", &p->snap.id);
	msg_get_strbuf(in, "snap_kind", p->snap.kind, sizeof(p->snap.kind));
	msg_get_strbuf(in, "snap_state", p->snap.state,
	    sizeof(p->snap.state));
	msg_get_strbuf(in, "snap_db", p->snap.db, sizeof(p->snap.db));
	msg_get_strbuf(in, "snap_table", p->snap.table,
	    sizeof(p->snap.table));
	msg_get_strbuf(in, "snap_key", p->snap.last_key,
	    sizeof(p->snap.last_key));
	msg_get_u64(in, "snap_rows", &p->snap.rows);
	msg_get_strbuf(in, "snap_cond", p->snap.cond, sizeof(p->snap.cond));
}

void
gap_put(struct msg_out *m, const struct gap *g)
{
	msg_put_str(m, "from_file", g->from.file);
	msg_put_u64(m, "from_offset", g->from.offset);
	msg_put_str(m, "from_gtid", g->from.gtid);
	msg_put_str(m, "to_file", g->to.file);
	msg_put_u64(m, "to_offset", g->to.offset);
	msg_put_str(m, "to_gtid", g->to.gtid);
	msg_put_str(m, "reason", g->reason);
	msg_put_str(m, "server", g->server);
}

void
gap_get(struct msg_in *in, struct gap *g)
{
	memset(g, 0, sizeof(*g));
	msg_get_strbuf(in, "from_file", g->from.file, sizeof(g->from.file));
	msg_get_u64(in, "from_offset", &g->from.offset);
	msg_get_strbuf(in, "from_gtid", g->from.gtid, sizeof(g->from.gtid));
	msg_get_strbuf(in, "to_file", g->to.file, sizeof(g->to.file));
	msg_get_u64(in, "to_offset", &g->to.offset);
	msg_get_strbuf(in, "to_gtid", g->to.gtid, sizeof(g->to.gtid));
	msg_get_strbuf(in, "reason", g->reason, sizeof(g->reason));
	msg_get_strbuf(in, "server", g->server, sizeof(g->server));
}

void
version_put(struct msg_out *m, const struct version *v)
{
	msg_put_str(m, "db", v->db);
	msg_put_str(m, "table", v->table);
	msg_put_str(m, "kind", v->kind);
	msg_put_str(m, "columns", v->columns ? v->columns : "");
	msg_put_str(m, "source", v->source);
	msg_put_str(m, "statement", v->statement ? v->statement : "");
	msg_put_str(m, "file", v->file);
	msg_put_u64(m, "offset", v->offset);
	msg_put_str(m, "gtid", v->gtid ? v->gtid : "");
}

static char *
version_str(struct msg_in *in, const char *key)
{
	const char *s = "";
	size_t len = 0;
	char *copy;

	msg_get_str(in, key, &s, &len);
	if ((copy = strndup(s, len)) == NULL)
		fatal("version");
	return copy;
}

void
version_get(struct msg_in *in, struct version *v)
{
	memset(v, 0, sizeof(*v));
	msg_get_strbuf(in, "db", v->db, sizeof(v->db));
	msg_get_strbuf(in, "table", v->table, sizeof(v->table));
	msg_get_strbuf(in, "kind", v->kind, sizeof(v->kind));
	v->columns = version_str(in, "columns");
	msg_get_strbuf(in, "source", v->source, sizeof(v->source));
	v->statement = version_str(in, "statement");
	msg_get_strbuf(in, "file", v->file, sizeof(v->file));
	msg_get_u64(in, "offset", &v->offset);
	v->gtid = version_str(in, "gtid");
}

void
version_free(struct version *v)
{
	free(v->columns);
	free(v->statement);
	free(v->gtid);
	v->columns = v->statement = v->gtid = NULL;
}

const char *
position_str(const struct position *p, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "%s:%llu", p->file[0] ? p->file : "(none)",
	    (unsigned long long)p->offset);
	if (p->gtid[0] != '\0' && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - n, " gtid %s", p->gtid);
	return buf;
}
