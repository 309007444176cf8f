/* spill.h: a binlog event too big to keep in memory, written to an unlinked
 * temporary file and read through a read-only mapping whose pages the
 * decoder hands back as it goes. */
#ifndef BINLOGD_SPILL_H
#define BINLOGD_SPILL_H

#include <stddef.h>
#include <stdint.h>

/* The mapped event, or 0/0: spill_release's one compare. */
extern uintptr_t	 spill_base;
extern size_t		 spill_len;

/* dir: [stream] spill_dir; empty means the directory of database. */
void		 spill_init(const char *dir, const char *database);
const char	*spill_dir(void);
/* Appends n bytes to the event being spilled (the file is opened at the
 * first call ever); -1 with errno. */
int		 spill_write(const void *, size_t n);
/* Maps the bytes written since the last spill_end; NULL with errno. */
const uint8_t	*spill_map(void);
/* Unmaps the event and empties the file for the next one. */
void		 spill_end(void);
void		 spill_release_pages(const void *, size_t n);

/* Drops the whole pages of [p, p + n) from memory when they belong to
 * the mapped event (they are read back from the file if touched again);
 * for any other bytes, nothing. */
static inline void
spill_release(const void *p, size_t n)
{
	if ((uintptr_t)p - spill_base < spill_len)
		spill_release_pages(p, n);
}

#endif
