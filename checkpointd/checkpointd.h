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
/* Replaces the position and adds the table versions that belong to it in
 * one transaction; -1 on error, and the previously saved position (and
 * history) is still the one on disk. */
int		 store_save(struct store *, const struct position *,
		    const struct version *, size_t);
/* Records a gap (an on_purged reset) in its own committed transaction. */
int		 store_gap(struct store *, const struct gap *);
/* Sets the position by an operator's request (uid): the new position, an
 * audit row naming the old one (action: "set-position", ...) and the
 * version retake (or NULL), in one transaction that also drops the
 * versions valid after the new position. */
int		 store_set(struct store *, const struct position *from,
		    const struct position *to, long uid, const char *action,
		    const char *reason, const struct version *retake);
/* The versions in force at the saved position (each table's newest, the
 * dropped left out), to cb; count says how many. */
typedef void	(*store_version_cb)(void *, const char *db, const char *table,
		    const char *kind, const char *columns);
int		 store_history(struct store *, store_version_cb, void *,
		    uint64_t *count);
/* One table's versions, oldest first, as text for binlogctl history. */
int		 store_history_list(struct store *, const char *db,
		    const char *table, uint64_t *count, char *buf, size_t size);
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
