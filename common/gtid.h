/* gtid.h: GTID sets of both server flavours, parsed from and formatted to
 * the servers' own text forms, round-trip exact.
 *   MariaDB: "domain-server-seq,..." -- one GTID per domain (the last one)
 *   MySQL:   "uuid:1-5:7-9,uuid2:tag:1-3" -- intervals per uuid (and tag)
 */
#ifndef BINLOGD_GTID_H
#define BINLOGD_GTID_H

#include <stddef.h>
#include <stdint.h>

enum gtid_flavor {
	GTID_FLAVOR_MARIADB,
	GTID_FLAVOR_MYSQL,
};

struct gtid_set;

struct gtid_set *gtid_set_new(enum gtid_flavor);
void	gtid_set_free(struct gtid_set *);
void	gtid_set_clear(struct gtid_set *);
enum gtid_flavor gtid_set_flavor(const struct gtid_set *);
int	gtid_set_is_empty(const struct gtid_set *);

/* Replaces the set's contents with text ("" is the empty set).  On error
 * returns -1, leaves the set unchanged and explains in err. */
int	gtid_set_parse(struct gtid_set *, const char *text, char *err,
	    size_t errlen);
/* Adds the text's GTIDs to the set (a union for MySQL; for MariaDB the
 * text's GTID replaces its domain's).  Errors as gtid_set_parse. */
int	gtid_set_merge(struct gtid_set *, const char *text, char *err,
	    size_t errlen);
/* Guesses the flavour of a non-empty GTID text: MySQL sets contain ':'. */
enum gtid_flavor gtid_text_flavor(const char *text);

/* Merges one committed transaction's GTID into the set. */
int	gtid_set_add_mariadb(struct gtid_set *, uint32_t domain,
	    uint32_t server_id, uint64_t seq);
int	gtid_set_add_mysql(struct gtid_set *, const uint8_t uuid[16],
	    const char *tag, uint64_t gno);

/* Writes the canonical text; returns its length, or -1 when it does not fit
 * (buf then holds a truncated, NUL-terminated prefix). */
int	gtid_set_format(const struct gtid_set *, char *buf, size_t size);

/* Walks a MySQL set in its sorted order (uuid, then tag), for encoders of
 * the binary form: sid i's uuid and tag ("" when untagged) and its number
 * of intervals; interval j of sid i, closed (start <= end). */
size_t	gtid_set_nsids(const struct gtid_set *);
const char *gtid_set_sid(const struct gtid_set *, size_t i, uint8_t uuid[16],
	    size_t *nintervals);
void	gtid_set_interval(const struct gtid_set *, size_t i, size_t j,
	    uint64_t *start, uint64_t *end);

/* Formats one GTID the way the server prints it. */
int	gtid_format_mariadb(char *buf, size_t size, uint32_t domain,
	    uint32_t server_id, uint64_t seq);
int	gtid_format_mysql(char *buf, size_t size, const uint8_t uuid[16],
	    const char *tag, uint64_t gno);

#endif
