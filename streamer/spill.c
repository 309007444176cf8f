/* spill.c: one unlinked temporary file, opened at the first big event and
 * emptied after each, holding the event the reader hands out as a
 * read-only mapping: its pages are page cache the kernel may drop, not
 * anonymous memory, and spill_release gives back those already read. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "spill.h"

#define SPILL_DIR_MAX	1024

uintptr_t	 spill_base;
size_t		 spill_len;

static char	 spill_where[SPILL_DIR_MAX] = ".";
static int	 spill_fd = -1;
static size_t	 spill_off;		/* bytes of the current event */
static uintptr_t spill_page;

void
spill_init(const char *dir, const char *database)
{
	const char *slash;

	if (dir[0] != '\0')
		strlcpy_(spill_where, dir, sizeof(spill_where));
	else if ((slash = strrchr(database, '/')) == NULL)
		strlcpy_(spill_where, ".", sizeof(spill_where));
	else if (slash == database)
		strlcpy_(spill_where, "/", sizeof(spill_where));
	else
		snprintf(spill_where, sizeof(spill_where), "%.*s",
		    (int)(slash - database), database);
}

const char *
spill_dir(void)
{
	return spill_where;
}

/* O_TMPFILE never has a name; where the file system lacks it, a name is
 * made and removed at once. */
static int
spill_open(void)
{
	char path[SPILL_DIR_MAX + 32];
	int fd, e;

	fd = open(spill_where, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR ||
	    errno == EINVAL)) {
		snprintf(path, sizeof(path), "%s/binlogd-spill.XXXXXX",
		    spill_where);
		if ((fd = mkostemp(path, O_CLOEXEC)) != -1 &&
		    unlink(path) == -1) {
			e = errno;
			close(fd);
			errno = e;
			fd = -1;
		}
	}
	if (fd == -1)
		return -1;
	spill_fd = fd;
	spill_page = (uintptr_t)sysconf(_SC_PAGESIZE);
	return 0;
}

int
spill_write(const void *buf, size_t n)
{
	const char *b = buf;
	ssize_t w;

	if (spill_fd == -1 && spill_open() == -1)
		return -1;
	while (n > 0) {
		if ((w = pwrite(spill_fd, b, n, (off_t)spill_off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
		spill_off += (size_t)w;
	}
	return 0;
}

const uint8_t *
spill_map(void)
{
	void *m;

	if (spill_off == 0) {
		errno = EINVAL;
		return NULL;
	}
	m = mmap(NULL, spill_off, PROT_READ, MAP_PRIVATE, spill_fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	spill_base = (uintptr_t)m;
	spill_len = spill_off;
	return m;
}

void
spill_end(void)
{
	if (spill_len != 0 && munmap((void *)spill_base, spill_len) == -1)
		log_err("munmap of the spilled event");
	spill_base = 0;
	spill_len = 0;
	if (spill_off != 0 && ftruncate(spill_fd, 0) == -1)
		log_err("emptying the spill file in %s", spill_where);
	spill_off = 0;
}

/* Whole pages only: a page shared with bytes outside [p, p + n) may still
 * be wanted.  The mapping's last page counts as whole. */
void
spill_release_pages(const void *p, size_t n)
{
	uintptr_t from = (uintptr_t)p, to, end = spill_base + spill_len;

	to = n > end - from ? end : from + n;
	from = (from + spill_page - 1) & ~(spill_page - 1);
	if (to != end)
		to &= ~(spill_page - 1);
	else
		to = (to + spill_page - 1) & ~(spill_page - 1);
	if (to > from)
		(void)madvise((void *)from, to - from, MADV_DONTNEED);
}
