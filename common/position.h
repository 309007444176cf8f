/* position.h: where a committed transaction ends -- what checkpointd stores
 * and the streamer resumes from -- and its encoding in messages. */
#ifndef BINLOGD_POSITION_H
#define BINLOGD_POSITION_H

#include <stdint.h>

#include "msg.h"

#define POS_GTID_MAX	8192
#define POS_FILE_MAX	512
#define POS_UUID_MAX	64
/* A snapshot's last key: a JSON array of primary-key values */
#define POS_KEY_MAX	2048
#define POS_NAME_MAX	257	/* a database or table name, 64 characters */
#define POS_COND_MAX	4096	/* an incremental snapshot's WHERE condition */

/*
 * A snapshot's progress, carried by the position whose records include
 * it, so that checkpointd saves it only once they are durable -- as it
 * saves the position itself (checkpointd/SCHEMA.md, snapshot_progress).
 * Every table before (db, table) in byte order is complete; of (db,
 * table) every row up to last_key in primary-key order, or all of it
 * when last_key is "".  id 0: the position carries no snapshot.  An
 * incremental snapshot (binlogctl snapshot) reads one table, of its rows
 * those cond selects ("": all); its last_key "" means no chunk went out.
 */
struct snap_progress {
	uint64_t	id;		/* the streamer's clock (us) at its start */
	char		kind[16];	/* initial | incremental */
	char		state[16];	/* running | done | stopped */
	char		db[POS_NAME_MAX];
	char		table[POS_NAME_MAX];
	char		last_key[POS_KEY_MAX];
	uint64_t	rows;		/* rows read so far, every table */
	char		cond[POS_COND_MAX];
};

struct position {
	char		gtid[POS_GTID_MAX];	/* executed set, "" if none */
	char		file[POS_FILE_MAX];
	uint64_t	offset;
	uint32_t	server_id;
	char		server_uuid[POS_UUID_MAX];
	uint64_t	ts;		/* event timestamp, seconds since epoch */
	uint64_t	rows_done;	/* rows of the next transaction delivered */
	struct snap_progress snap;
};

/* An on_purged reset: from the saved position the server no longer had
 * to where streaming resumed. */
struct gap {
	struct position	from;		/* file, offset, gtid used */
	struct position	to;
	char		reason[512];	/* the server's error text */
	char		server[256];	/* host:port server_id N */
};

/* A table's version in checkpointd's schema history: its columns (kind
 * "table", streamer/history.c's text), "dropped", or "retake" (an
 * operator's request to take it from information_schema again), valid
 * from file:offset (gtid); source and statement say what made it.  The
 * strings are the owner's (version_get: the message's, copied). */
#define VERSION_NAME_MAX	65
#define VERSION_STMT_MAX	1024	/* the statement kept, at most */
struct version {
	char		 db[VERSION_NAME_MAX];
	char		 table[VERSION_NAME_MAX];
	char		 kind[8];
	char		 source[16];
	char		*columns;
	char		*statement;
	char		*gtid;
	char		 file[POS_FILE_MAX];
	uint64_t	 offset;
};

void	position_put(struct msg_out *, const struct position *);
void	position_get(struct msg_in *, struct position *);
void	position_copy(struct position *, const struct position *);
void	position_advance(struct position *, const struct position *);
/* The GAP fields of the catalogue in msg.h. */
void	gap_put(struct msg_out *, const struct gap *);
void	gap_get(struct msg_in *, struct gap *);
/* The VERSION fields of the catalogue in msg.h; version_get allocates
 * the strings, version_free frees them. */
void	version_put(struct msg_out *, const struct version *);
void	version_get(struct msg_in *, struct version *);
void	version_free(struct version *);
/* "file:offset gtid <set>" for log lines; returns buf. */
const char *position_str(const struct position *, char *buf, size_t size);

#endif
