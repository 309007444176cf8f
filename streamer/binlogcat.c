/* binlogcat.c: reads binlog files from disk and prints the records that
 * binlogd-streamer would write for them, with the streamer's own decoder;
 * what makes binlogs from servers we cannot run here testable. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "util.h"
#include "streamer.h"

static const uint8_t binlogcat_magic[4] = { 0xfe, 'b', 'i', 'n' };

static void
binlogcat_usage(FILE *f)
{
	fprintf(f, "usage: binlogcat FILE...\n"
	    "Prints the JSON records (one per row, see binlogd-records(7)) of "
	    "the\nMySQL or MariaDB binlog FILEs, read in the order given.\n");
}

/* The events of one mapped file, in order, each bounds-checked. */
static int
binlogcat_events(struct reader *r, const uint8_t *p, size_t n)
{
	size_t off = sizeof(binlogcat_magic), size;

	while (off < n) {
		r->offset = off;
		if (n - off < EVHDR_LEN) {
			reader_fail(r, BX_DECODE, "truncated event header at "
			    "offset %zu", off);
			return -1;
		}
		size = (size_t)p[off + 9] | (size_t)p[off + 10] << 8 |
		    (size_t)p[off + 11] << 16 | (size_t)p[off + 12] << 24;
		if (size < EVHDR_LEN || size > n - off) {
			reader_fail(r, BX_DECODE, "event at offset %zu claims "
			    "%zu bytes; the file has %zu after it (truncated "
			    "or not a binlog)", off, size, n - off);
			return -1;
		}
		if (event_decode(r, p + off, size) == -1)
			return -1;
		off += size;
	}
	return record_close(r);
}

static int
binlogcat_file(struct reader *r, const char *path)
{
	struct stat sb;
	void *map;
	const char *base = strrchr(path, '/');
	int fd, rc;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &sb) == -1) {
		fprintf(stderr, "binlogcat: %s: %s\n", path, strerror(errno));
		return BX_FAILURE;
	}
	if (sb.st_size < 4 || (map = mmap(NULL, (size_t)sb.st_size, PROT_READ,
	    MAP_PRIVATE, fd, 0)) == MAP_FAILED ||
	    memcmp(map, binlogcat_magic, 4) != 0) {
		fprintf(stderr, "binlogcat: %s: not a binlog file (it does not "
		    "start with the bytes fe 62 69 6e)\n", path);
		close(fd);
		return BX_DECODE;
	}
	close(fd);
	strlcpy_(r->file, base ? base + 1 : path, sizeof(r->file));
	r->checksum = false;
	rc = binlogcat_events(r, map, (size_t)sb.st_size);
	munmap(map, (size_t)sb.st_size);
	if (rc == -1) {
		fprintf(stderr, "binlogcat: %s: %s\n", path, r->st->error);
		return r->st->exit_code;
	}
	return BX_OK;
}

int
main(int argc, char **argv)
{
	struct streamer st;
	struct reader r;
	int i, rc;

	log_init("binlogcat", 1, 0);
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		binlogcat_usage(stdout);
		return BX_OK;
	}
	if (argc < 2 || argv[1][0] == '-') {
		binlogcat_usage(stderr);
		return BX_USAGE;
	}
	offline_init(&r, &st);
	for (i = 1; i < argc; i++)
		if ((rc = binlogcat_file(&r, argv[i])) != BX_OK)
			return rc;
	return BX_OK;
}
