/* position.c: a position's fields in messages, and its text for logs. */
#include "build.h"

#include <stdio.h>
#include <string.h>

#include "position.h"

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
