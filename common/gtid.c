/* gtid.c: GTID sets of MariaDB and MySQL, parsed from the servers' text,
 * grown one committed transaction at a time, and printed back canonically. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtid.h"

/* MySQL 8.4: a tag is [a-z_][a-z0-9_]{0,31}. */
#define GTID_TAG_MAX	32
/* MySQL's largest gno is one below INT64_MAX (its GNO_END). */
#define GTID_GNO_MAX	((uint64_t)INT64_MAX - 1)
#define GTID_UUID_LEN	36

/* MariaDB: the last GTID of one replication domain. */
struct gtid_domain {
	uint32_t	 domain;
	uint32_t	 server_id;
	uint64_t	 seq;
};

/* MySQL: a closed range of transaction numbers, start <= end. */
struct gtid_interval {
	uint64_t	 start;
	uint64_t	 end;
};

/* MySQL: the transactions of one uuid (and tag), intervals sorted and
 * disjoint, never touching (adjacent ones are merged). */
struct gtid_sid {
	uint8_t			 uuid[16];
	char			 tag[GTID_TAG_MAX + 1];	/* "" = untagged */
	struct gtid_interval	*iv;
	size_t			 niv;
	size_t			 ivcap;
};

struct gtid_set {
	enum gtid_flavor	 flavor;
	struct gtid_domain	*dom;		/* sorted by domain */
	size_t			 ndom;
	size_t			 domcap;
	struct gtid_sid		*sid;		/* sorted by uuid, then tag */
	size_t			 nsid;
	size_t			 sidcap;
};

/* A parse in progress: the whole text for error messages, and the cursor. */
struct gtid_parser {
	const char	*text;
	const char	*p;
	char		*err;
	size_t		 errlen;
};

/* Output that keeps counting past the end of buf, as snprintf does. */
struct gtid_out {
	char		*buf;
	size_t		 size;
	size_t		 len;
};

struct gtid_set *
gtid_set_new(enum gtid_flavor flavor)
{
	struct gtid_set *set;

	if ((set = calloc(1, sizeof(*set))) == NULL)
		return NULL;
	set->flavor = flavor;
	return set;
}

void
gtid_set_clear(struct gtid_set *set)
{
	size_t i;

	for (i = 0; i < set->nsid; i++)
		free(set->sid[i].iv);
	set->nsid = 0;
	set->ndom = 0;
}

void
gtid_set_free(struct gtid_set *set)
{
	if (set == NULL)
		return;
	gtid_set_clear(set);
	free(set->sid);
	free(set->dom);
	free(set);
}

enum gtid_flavor
gtid_set_flavor(const struct gtid_set *set)
{
	return set->flavor;
}

int
gtid_set_is_empty(const struct gtid_set *set)
{
	return set->ndom == 0 && set->nsid == 0;
}

enum gtid_flavor
gtid_text_flavor(const char *text)
{
	return strchr(text, ':') != NULL ? GTID_FLAVOR_MYSQL :
	    GTID_FLAVOR_MARIADB;
}

/* Makes room for one more element in *arr; -1 when out of memory. */
static int
gtid_grow(void **arr, size_t *cap, size_t n, size_t elsize)
{
	size_t	 ncap;
	void	*p;

	if (n < *cap)
		return 0;
	ncap = *cap == 0 ? 4 : *cap * 2;
	if (ncap > SIZE_MAX / elsize)
		return -1;
	if ((p = realloc(*arr, ncap * elsize)) == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Inserts an element of elsize bytes at index at of an array of n. */
static int
gtid_insert(void **arr, size_t *cap, size_t *n, size_t at, size_t elsize,
    const void *el)
{
	char *base;

	if (gtid_grow(arr, cap, *n, elsize) == -1)
		return -1;
	base = *arr;
	memmove(base + (at + 1) * elsize, base + at * elsize,
	    (*n - at) * elsize);
	memcpy(base + at * elsize, el, elsize);
	(*n)++;
	return 0;
}

/* MariaDB */

/* Index of domain in the set, or where it would be inserted. */
static size_t
gtid_domain_find(const struct gtid_set *set, uint32_t domain)
{
	size_t lo = 0, hi = set->ndom, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->dom[mid].domain < domain)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A replica's position holds the last GTID of each domain: a newer one
 * replaces the old, whatever its server_id. */
int
gtid_set_add_mariadb(struct gtid_set *set, uint32_t domain,
    uint32_t server_id, uint64_t seq)
{
	struct gtid_domain	 d = { domain, server_id, seq };
	size_t			 at;

	if (set->flavor != GTID_FLAVOR_MARIADB)
		return -1;
	at = gtid_domain_find(set, domain);
	if (at < set->ndom && set->dom[at].domain == domain) {
		set->dom[at] = d;
		return 0;
	}
	return gtid_insert((void **)&set->dom, &set->domcap, &set->ndom, at,
	    sizeof(d), &d);
}

/* MySQL */

static int
gtid_sid_cmp(const uint8_t uuid[16], const char *tag,
    const struct gtid_sid *sid)
{
	int c;

	if ((c = memcmp(uuid, sid->uuid, 16)) != 0)
		return c;
	return strcmp(tag, sid->tag);
}

/* Index of (uuid, tag) in the set, or where it would be inserted. */
static size_t
gtid_sid_find(const struct gtid_set *set, const uint8_t uuid[16],
    const char *tag)
{
	size_t lo = 0, hi = set->nsid, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (gtid_sid_cmp(uuid, tag, &set->sid[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct gtid_sid *
gtid_sid_get(struct gtid_set *set, const uint8_t uuid[16], const char *tag)
{
	struct gtid_sid	 sid;
	size_t		 at;

	at = gtid_sid_find(set, uuid, tag);
	if (at < set->nsid && gtid_sid_cmp(uuid, tag, &set->sid[at]) == 0)
		return &set->sid[at];
	memset(&sid, 0, sizeof(sid));
	memcpy(sid.uuid, uuid, 16);
	memcpy(sid.tag, tag, strlen(tag) + 1);
	if (gtid_insert((void **)&set->sid, &set->sidcap, &set->nsid, at,
	    sizeof(sid), &sid) == -1)
		return NULL;
	return &set->sid[at];
}

/*
 * Adds [start, end] to the sid's intervals.  Every interval that overlaps
 * or touches the new one (end + 1 == start) is folded into it, so the list
 * stays disjoint and prints as MySQL prints it.
 */
static int
gtid_sid_add(struct gtid_sid *sid, uint64_t start, uint64_t end)
{
	struct gtid_interval	 iv = { start, end };
	size_t			 lo = 0, hi = sid->niv, mid, last;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sid->iv[mid].end + 1 < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (last = lo; last < sid->niv && sid->iv[last].start <= end + 1;
	    last++) {
		if (sid->iv[last].start < iv.start)
			iv.start = sid->iv[last].start;
		if (sid->iv[last].end > iv.end)
			iv.end = sid->iv[last].end;
	}
	if (last == lo)
		return gtid_insert((void **)&sid->iv, &sid->ivcap, &sid->niv, lo,
		    sizeof(iv), &iv);
	sid->iv[lo] = iv;
	memmove(&sid->iv[lo + 1], &sid->iv[last],
	    (sid->niv - last) * sizeof(iv));
	sid->niv -= last - lo - 1;
	return 0;
}

/* Copies a tag lowercased into out; -1 when it is not a valid tag. */
static int
gtid_tag_norm(const char *tag, size_t len, char out[GTID_TAG_MAX + 1])
{
	size_t i;

	if (len > GTID_TAG_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = tag[i];

		if (!(isascii(c) && (isalpha(c) || c == '_' ||
		    (i > 0 && isdigit(c)))))
			return -1;
		out[i] = tolower(c);
	}
	out[len] = '\0';
	return 0;
}

static int
gtid_add_interval(struct gtid_set *set, const uint8_t uuid[16],
    const char *tag, uint64_t start, uint64_t end)
{
	struct gtid_sid *sid;

	if ((sid = gtid_sid_get(set, uuid, tag)) == NULL)
		return -1;
	return gtid_sid_add(sid, start, end);
}

int
gtid_set_add_mysql(struct gtid_set *set, const uint8_t uuid[16],
    const char *tag, uint64_t gno)
{
	char norm[GTID_TAG_MAX + 1];

	if (set->flavor != GTID_FLAVOR_MYSQL || gno == 0 || gno > GTID_GNO_MAX)
		return -1;
	if (tag == NULL)
		tag = "";
	if (gtid_tag_norm(tag, strlen(tag), norm) == -1)
		return -1;
	return gtid_add_interval(set, uuid, norm, gno, gno);
}

/* Parsing */

/* Records what was expected at the cursor, quoting the text found there. */
static int
gtid_parse_fail(struct gtid_parser *ps, const char *expected)
{
	size_t	 pos = ps->p - ps->text;
	int	 more = strlen(ps->p) > 24;

	snprintf(ps->err, ps->errlen,
	    "bad GTID set: at character %zu (\"%.24s%s\"): expected %s",
	    pos + 1, ps->p, more ? "..." : "", expected);
	return -1;
}

static int
gtid_parse_oom(struct gtid_parser *ps)
{
	snprintf(ps->err, ps->errlen, "bad GTID set: %s", strerror(ENOMEM));
	return -1;
}

static void
gtid_skip_space(struct gtid_parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
	    *ps->p == '\r')
		ps->p++;
}

/* A decimal number no larger than max, at the cursor. */
static int
gtid_parse_num(struct gtid_parser *ps, uint64_t max, uint64_t *v,
    const char *what)
{
	const char	*start = ps->p;
	uint64_t	 n = 0;
	unsigned	 d;

	if (!isdigit((unsigned char)*ps->p))
		return gtid_parse_fail(ps, what);
	while (isdigit((unsigned char)*ps->p)) {
		d = *ps->p - '0';
		if (n > (max - d) / 10) {
			ps->p = start;
			return gtid_parse_fail(ps, what);
		}
		n = n * 10 + d;
		ps->p++;
	}
	*v = n;
	return 0;
}

static int
gtid_parse_mariadb_one(struct gtid_parser *ps, struct gtid_set *set)
{
	const char	*start = ps->p;
	uint64_t	 domain, server_id, seq;
	size_t		 at;

	if (gtid_parse_num(ps, UINT32_MAX, &domain,
	    "a MariaDB GTID domain-server_id-seq (domain up to 4294967295)") ==
	    -1)
		return -1;
	if (*ps->p != '-')
		return gtid_parse_fail(ps, "'-' after the domain id");
	ps->p++;
	if (gtid_parse_num(ps, UINT32_MAX, &server_id,
	    "a server id (0 to 4294967295)") == -1)
		return -1;
	if (*ps->p != '-')
		return gtid_parse_fail(ps, "'-' after the server id");
	ps->p++;
	if (gtid_parse_num(ps, UINT64_MAX, &seq,
	    "a sequence number (0 to 18446744073709551615)") == -1)
		return -1;
	at = gtid_domain_find(set, domain);
	if (at < set->ndom && set->dom[at].domain == domain) {
		ps->p = start;
		return gtid_parse_fail(ps,
		    "at most one GTID per domain (this domain is repeated)");
	}
	if (gtid_set_add_mariadb(set, domain, server_id, seq) == -1)
		return gtid_parse_oom(ps);
	return 0;
}

static int
gtid_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
gtid_parse_uuid(struct gtid_parser *ps, uint8_t uuid[16])
{
	const char	*s = ps->p;
	int		 i, hi, lo, n = 0;

	for (i = 0; i < GTID_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				goto bad;
			continue;
		}
		if ((hi = gtid_hexval(s[i])) == -1 ||
		    (lo = gtid_hexval(s[++i])) == -1)
			goto bad;
		uuid[n++] = hi << 4 | lo;
	}
	ps->p += GTID_UUID_LEN;
	return 0;
bad:
	return gtid_parse_fail(ps, "a UUID such as "
	    "3e11fa47-71ca-11e1-9e33-c80aa9429562");
}

static int
gtid_parse_tag(struct gtid_parser *ps, char tag[GTID_TAG_MAX + 1])
{
	size_t len = 0;

	while (isalnum((unsigned char)ps->p[len]) || ps->p[len] == '_')
		len++;
	if (len == 0 || gtid_tag_norm(ps->p, len, tag) == -1)
		return gtid_parse_fail(ps, "a tag of 1 to 32 letters, digits "
		    "and '_' not starting with a digit");
	ps->p += len;
	return 0;
}

static int
gtid_parse_interval(struct gtid_parser *ps, uint64_t *start, uint64_t *end)
{
	const char *at = ps->p;

	if (gtid_parse_num(ps, GTID_GNO_MAX, start,
	    "a transaction number (1 to 9223372036854775806)") == -1)
		return -1;
	*end = *start;
	if (*ps->p == '-') {
		ps->p++;
		if (gtid_parse_num(ps, GTID_GNO_MAX, end,
		    "the end of a range (up to 9223372036854775806)") == -1)
			return -1;
	}
	if (*start == 0 || *end < *start) {
		ps->p = at;
		return gtid_parse_fail(ps, "a range a-b with 1 <= a <= b");
	}
	return 0;
}

/* uuid(:tag|:interval)+ -- a tag applies to the intervals after it. */
static int
gtid_parse_mysql_one(struct gtid_parser *ps, struct gtid_set *set)
{
	uint8_t		 uuid[16];
	char		 tag[GTID_TAG_MAX + 1] = "";
	uint64_t	 start, end;
	int		 nintervals = 0;

	if (gtid_parse_uuid(ps, uuid) == -1)
		return -1;
	while (*ps->p == ':') {
		ps->p++;
		if (!isdigit((unsigned char)*ps->p)) {
			if (gtid_parse_tag(ps, tag) == -1)
				return -1;
			if (*ps->p != ':')
				return gtid_parse_fail(ps,
				    "':' and an interval after the tag");
			continue;
		}
		if (gtid_parse_interval(ps, &start, &end) == -1)
			return -1;
		if (gtid_add_interval(set, uuid, tag, start, end) == -1)
			return gtid_parse_oom(ps);
		nintervals++;
	}
	if (nintervals == 0)
		return gtid_parse_fail(ps, "':' and an interval after the UUID");
	return 0;
}

/* Comma-separated elements, whitespace allowed around the commas. */
static int
gtid_parse_list(struct gtid_parser *ps, struct gtid_set *set)
{
	int (*one)(struct gtid_parser *, struct gtid_set *);

	one = set->flavor == GTID_FLAVOR_MYSQL ? gtid_parse_mysql_one :
	    gtid_parse_mariadb_one;
	gtid_skip_space(ps);
	if (*ps->p == '\0')
		return 0;
	for (;;) {
		if (one(ps, set) == -1)
			return -1;
		gtid_skip_space(ps);
		if (*ps->p == '\0')
			return 0;
		if (*ps->p != ',')
			return gtid_parse_fail(ps, "',' or the end of the set");
		ps->p++;
		gtid_skip_space(ps);
	}
}

int
gtid_set_parse(struct gtid_set *set, const char *text, char *err,
    size_t errlen)
{
	struct gtid_parser	 ps = { text, text, err, errlen };
	struct gtid_set		*tmp, swap;

	if ((tmp = gtid_set_new(set->flavor)) == NULL)
		return gtid_parse_oom(&ps);
	if (gtid_parse_list(&ps, tmp) == -1) {
		gtid_set_free(tmp);
		return -1;
	}
	swap = *set;
	*set = *tmp;
	*tmp = swap;
	gtid_set_free(tmp);
	return 0;
}

int
gtid_set_merge(struct gtid_set *set, const char *text, char *err,
    size_t errlen)
{
	struct gtid_set *tmp;
	struct gtid_sid *sid;
	size_t i, j;
	int rc = 0;

	if ((tmp = gtid_set_new(set->flavor)) == NULL)
		return -1;
	if (gtid_set_parse(tmp, text, err, errlen) == -1) {
		gtid_set_free(tmp);
		return -1;
	}
	for (i = 0; i < tmp->ndom && rc == 0; i++)
		rc = gtid_set_add_mariadb(set, tmp->dom[i].domain,
		    tmp->dom[i].server_id, tmp->dom[i].seq);
	for (i = 0; i < tmp->nsid && rc == 0; i++) {
		sid = &tmp->sid[i];
		for (j = 0; j < sid->niv && rc == 0; j++)
			rc = gtid_add_interval(set, sid->uuid, sid->tag,
			    sid->iv[j].start, sid->iv[j].end);
	}
	gtid_set_free(tmp);
	if (rc == -1)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/* Formatting */

/*
 * Text into buf as snprintf puts it: what fits, NUL-terminated, and len
 * counting all of it.  Written by hand, not by snprintf: a position per
 * transaction formats its GTID and its set, and printf's format parsing
 * cost more than the rest of a small transaction's decoding.
 */
static void
gtid_out_add(struct gtid_out *o, const char *s, size_t n)
{
	size_t k;

	if (o->len < o->size) {
		k = o->size - o->len - 1;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->buf[o->len + k] = '\0';
	}
	o->len += n;
}

static void
gtid_out_str(struct gtid_out *o, const char *s)
{
	gtid_out_add(o, s, strlen(s));
}

/* A decimal number after the character sep (none if '\0'). */
static void
gtid_out_u64(struct gtid_out *o, char sep, uint64_t v)
{
	char t[21];
	size_t i = sizeof(t);

	do
		t[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (sep != '\0')
		t[--i] = sep;
	gtid_out_add(o, t + i, sizeof(t) - i);
}

/* The length written, or -1 when buf was too small (or size is 0). */
static int
gtid_out_result(const struct gtid_out *o)
{
	if (o->len >= o->size || o->len > INT_MAX)
		return -1;
	return (int)o->len;
}

static void
gtid_out_uuid(struct gtid_out *o, const uint8_t uuid[16])
{
	static const char hex[] = "0123456789abcdef";
	char t[36];
	size_t n = 0;
	int i;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			t[n++] = '-';
		t[n++] = hex[uuid[i] >> 4];
		t[n++] = hex[uuid[i] & 15];
	}
	gtid_out_add(o, t, n);
}

/*
 * As MySQL 8.4 prints a set: uuids in order, each once, its untagged
 * intervals first and then each tag (in order) followed by its intervals:
 * "uuid:1-5:7:tag:1-3,uuid2:1".
 */
static void
gtid_out_mysql(struct gtid_out *o, const struct gtid_set *set)
{
	const struct gtid_sid	*s;
	size_t			 i, j;

	for (i = 0; i < set->nsid; i++) {
		s = &set->sid[i];
		if (i == 0 || memcmp(s->uuid, set->sid[i - 1].uuid, 16) != 0) {
			if (i > 0)
				gtid_out_add(o, ",", 1);
			gtid_out_uuid(o, s->uuid);
		}
		if (s->tag[0] != '\0') {
			gtid_out_add(o, ":", 1);
			gtid_out_str(o, s->tag);
		}
		for (j = 0; j < s->niv; j++) {
			gtid_out_u64(o, ':', s->iv[j].start);
			if (s->iv[j].end != s->iv[j].start)
				gtid_out_u64(o, '-', s->iv[j].end);
		}
	}
}

/* domain-server_id-seq */
static void
gtid_out_triple(struct gtid_out *o, char sep, uint32_t domain,
    uint32_t server_id, uint64_t seq)
{
	gtid_out_u64(o, sep, domain);
	gtid_out_u64(o, '-', server_id);
	gtid_out_u64(o, '-', seq);
}

static void
gtid_out_mariadb(struct gtid_out *o, const struct gtid_set *set)
{
	size_t i;

	for (i = 0; i < set->ndom; i++)
		gtid_out_triple(o, i == 0 ? '\0' : ',', set->dom[i].domain,
		    set->dom[i].server_id, set->dom[i].seq);
}

int
gtid_set_format(const struct gtid_set *set, char *buf, size_t size)
{
	struct gtid_out o = { buf, size, 0 };

	if (size > 0)
		buf[0] = '\0';
	if (set->flavor == GTID_FLAVOR_MYSQL)
		gtid_out_mysql(&o, set);
	else
		gtid_out_mariadb(&o, set);
	return gtid_out_result(&o);
}

int
gtid_format_mariadb(char *buf, size_t size, uint32_t domain,
    uint32_t server_id, uint64_t seq)
{
	struct gtid_out o = { buf, size, 0 };

	if (size > 0)
		buf[0] = '\0';
	gtid_out_triple(&o, '\0', domain, server_id, seq);
	return gtid_out_result(&o);
}

int
gtid_format_mysql(char *buf, size_t size, const uint8_t uuid[16],
    const char *tag, uint64_t gno)
{
	struct gtid_out o = { buf, size, 0 };

	if (size > 0)
		buf[0] = '\0';
	gtid_out_uuid(&o, uuid);
	if (tag != NULL && *tag != '\0') {
		gtid_out_add(&o, ":", 1);
		gtid_out_str(&o, tag);
	}
	gtid_out_u64(&o, ':', gno);
	return gtid_out_result(&o);
}

size_t
gtid_set_nsids(const struct gtid_set *set)
{
	return set->nsid;
}

const char *
gtid_set_sid(const struct gtid_set *set, size_t i, uint8_t uuid[16],
    size_t *nintervals)
{
	memcpy(uuid, set->sid[i].uuid, 16);
	*nintervals = set->sid[i].niv;
	return set->sid[i].tag;
}

void
gtid_set_interval(const struct gtid_set *set, size_t i, size_t j,
    uint64_t *start, uint64_t *end)
{
	*start = set->sid[i].iv[j].start;
	*end = set->sid[i].iv[j].end;
}
