/* checkpointd.h: binlogd-checkpointd, the one process that owns the SQLite
 * checkpoint database; prototypes grouped by file. */
#ifndef BINLOGD_CHECKPOINTD_H
#define BINLOGD_CHECKPOINTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "position.h"

/* store.c */
struct store;

/* Opens (creating if absent) and migrates the database at path.  NULL with
 * a message for the operator in err when the file is corrupt, unwritable,
 * of a newer schema, or its directory is missing. */
struct store	*store_open(const char *path, char *err, size_t errlen);
/* found is false when no position was ever saved; -1 on error. */
int		 store_load(struct store *, struct position *, bool *found);
/* Replaces the position in one transaction; -1 on error, and the
 * previously saved position is still the one on disk. */
int		 store_save(struct store *, const struct position *);
/* Records a gap (an on_purged reset) in its own committed transaction. */
int		 store_gap(struct store *, const struct gap *);
/* Sets the position by an operator's request (uid): the new position and
 * an audit row naming the old one, in one transaction. */
int		 store_set(struct store *, const struct position *from,
		    const struct position *to, long uid, const char *reason);
/* The rows binlogctl checkpoint lists, newest first, one per line. */
enum store_list {
	STORE_GAPS,
	STORE_AUDIT,
};
int		 store_list(struct store *, enum store_list, uint64_t *count,
		    char *buf, size_t size);
/* When the position on disk was saved: ISO text and seconds since the
 * epoch; "" and 0 when none is. */
int		 store_saved_at(struct store *, char *iso, size_t size,
		    uint64_t *epoch);
/* How many gaps are recorded, and the newest as one line ("" if none). */
int		 store_gaps(struct store *, uint64_t *count, char *last,
		    size_t size);
/* The last error, for log lines. */
const char	*store_error(const struct store *);
const char	*store_path(const struct store *);
/* Checkpoints the WAL into the main file and closes; NULL is a no-op. */
void		 store_close(struct store *);
/* The schema version this code creates and understands. */
int		 store_schema_latest(void);

#endif
