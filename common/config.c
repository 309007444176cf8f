/* config.c: the binlogd.conf parser.  The option table below is the one list
 * of options; defaults go through the same parsers as the file's values. */
#include "build.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "gtid.h"
#include "position.h"
#include "util.h"

const char config_default_path[] = SYSCONFDIR "/binlogd.conf";

enum opt_type {
	OPT_STR,
	OPT_UINT,
	OPT_DURATION,
	OPT_CHOICE,		/* one of choices, stored as a string */
	OPT_START,		/* start_position */
	OPT_GTID_USE,
	OPT_PREFIX,		/* name is a prefix: "rest=value\n" appended */
	OPT_LISTEN,		/* "" or what config_parse_listen() takes */
};

struct opt_def {
	const char	*section;
	const char	*name;
	enum opt_type	 type;
	size_t		 off;
	size_t		 size;		/* strings: buffer size */
	const char	*def;
	uint64_t	 min, max;	/* OPT_UINT; OPT_DURATION in ms */
	const char	*choices;	/* OPT_CHOICE: "a|b|c" */
};

#define O(f)		offsetof(struct config, f)
#define STR(s, n, f, d)	{ s, n, OPT_STR, O(f), sizeof(((struct config *)0)->f), d, 0, 0, NULL }
#define UINT(s, n, f, d, lo, hi) { s, n, OPT_UINT, O(f), sizeof(((struct config *)0)->f), d, lo, hi, NULL }
#define DUR(s, n, f, d, lo, hi) { s, n, OPT_DURATION, O(f), 0, d, lo, hi, NULL }
#define CHOICE(s, n, f, d, c) { s, n, OPT_CHOICE, O(f), sizeof(((struct config *)0)->f), d, 0, 0, c }

static const struct opt_def opts[] = {
	STR("daemon", "pid_file", pid_file, RUNSTATEDIR "/binlogd/binlogd.pid"),
	STR("daemon", "control_socket", control_socket, RUNSTATEDIR "/binlogd/binlogd.sock"),
	STR("daemon", "user", run_user, ""),
	{ "daemon", "metrics_listen", OPT_LISTEN, O(metrics_listen),
	    sizeof(((struct config *)0)->metrics_listen), "", 0, 0, NULL },
	DUR("daemon", "restart_backoff_max", restart_backoff_max, "60s", 1000, 86400000),
	DUR("daemon", "restart_backoff_reset", restart_backoff_reset, "60s", 1000, 86400000),
	DUR("daemon", "ready_timeout", ready_timeout, "60s", 1000, 3600000),
	DUR("daemon", "stop_timeout", stop_timeout, "30s", 1000, 3600000),

	STR("server", "host", host, "127.0.0.1"),
	UINT("server", "port", port, "3306", 1, 65535),
	STR("server", "socket", socket, ""),
	STR("server", "user", user, "binlogd"),
	STR("server", "password", password, ""),
	STR("server", "password_file", password_file, ""),
	UINT("server", "replica_server_id", replica_server_id, "4242", 1, UINT32_MAX),
	DUR("server", "connect_timeout", connect_timeout, "10s", 1000, 3600000),
	DUR("server", "read_timeout", read_timeout, "30s", 2000, 3600000),
	DUR("server", "heartbeat_period", heartbeat_period, "10s", 1000, 3600000),
	CHOICE("server", "ssl_mode", ssl_mode, "preferred",
	    "disabled|preferred|required|verify_ca|verify_identity"),
	STR("server", "ssl_ca", ssl_ca, ""),
	STR("server", "ssl_capath", ssl_capath, ""),
	STR("server", "ssl_cert", ssl_cert, ""),
	STR("server", "ssl_key", ssl_key, ""),
	STR("server", "ssl_cipher", ssl_cipher, ""),

	{ "stream", "start_position", OPT_START, O(start_position),
	    sizeof(((struct config *)0)->start_position), "latest", 0, 0, NULL },
	{ "stream", "gtid", OPT_GTID_USE, O(gtid), 0, "auto", 0, 0, NULL },
	CHOICE("stream", "on_purged", on_purged, "earliest",
	    "fail|earliest|latest"),
	CHOICE("stream", "sink", sink, "stdout", "stdout|file|kafka"),
	CHOICE("stream", "format", format, "maxwell", "maxwell|debezium"),
	STR("stream", "server_name", server_name, "binlogd"),
	CHOICE("stream", "snapshot", snapshot, "never",
	    "never|initial|when_needed"),
	UINT("stream", "snapshot_chunk_size", snapshot_chunk_size, "1024", 1,
	    1048576),
	STR("stream", "snapshot_watermark_table", snapshot_watermark_table,
	    "binlogd.watermark"),
	STR("stream", "spill_dir", spill_dir, ""),
	UINT("stream", "decode_threads", decode_threads, "2", 1, 2),

	STR("sink", "path", sink_path, ""),
	CHOICE("sink", "fsync", sink_fsync, "yes", "yes|no"),
	STR("sink", "brokers", kafka_brokers, ""),
	STR("sink", "topic", kafka_topic, "binlogd.%{database}.%{table}"),
	CHOICE("sink", "kafka_tombstones", kafka_tombstones, "yes", "yes|no"),
	CHOICE("sink", "on_oversize", on_oversize, "fail", "fail|skip"),
	/* "kafka.<property> = value", any number, passed to librdkafka */
	{ "sink", "kafka.", OPT_PREFIX, O(kafka_props),
	    sizeof(((struct config *)0)->kafka_props), "", 0, 0, NULL },

	STR("filter", "include", filter_include, ""),
	STR("filter", "exclude", filter_exclude, ""),
	STR("filter", "events", filter_events, "insert,update,delete,commit"),
	STR("filter", "drop_columns", filter_drop_columns, ""),

	STR("checkpoint", "database", database,
	    LOCALSTATEDIR "/lib/binlogd/checkpoint.db"),
	DUR("checkpoint", "checkpoint_interval", checkpoint_interval, "1s", 0, 3600000),
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int
conf_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
conf_parse_uint(const char *v, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

/* "500ms", "2s", "1.5m", "1h" or a plain number of seconds -> ms. */
static int
conf_parse_duration(const char *v, double *ms)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "", 1000 },
	};
	char *end;
	double d;
	size_t i;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || !isfinite(d))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0) {
			*ms = d * units[i].ms;
			return 0;
		}
	return -1;
}

static int
conf_is_choice(const char *v, const char *choices)
{
	size_t len = strlen(v);
	const char *p = choices;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && strncmp(p, v, n) == 0)
			return 1;
		p += n + (bar != NULL);
	}
	return 0;
}

int
config_parse_listen(const char *spec, char *host, size_t size,
    unsigned *port)
{
	const char *colon = strrchr(spec, ':');
	char *end;
	unsigned long p;

	if (colon == NULL) {
		strlcpy_(host, "127.0.0.1", size);
		colon = spec - 1;
	} else if (spec[0] == '[' && colon > spec && colon[-1] == ']')
		snprintf(host, size, "%.*s", (int)(colon - spec - 2), spec + 1);
	else
		snprintf(host, size, "%.*s", (int)(colon - spec), spec);
	if (!isdigit((unsigned char)colon[1]))
		return -1;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || p == 0 || p > 65535 ||
	    host[0] == '\0')
		return -1;
	*port = (unsigned)p;
	return 0;
}

/* A file:offset names a binlog file (no ':' in it) and a decimal offset:
 * 0, or 1 if v is no file:offset, or -1 with err. */
static int
conf_parse_file_pos(struct config *conf, const char *v, char *err,
    size_t errlen)
{
	const char *colon = strrchr(v, ':');
	uint64_t off;

	if (colon == NULL || colon == v || strchr(v, ':') != colon ||
	    conf_parse_uint(colon + 1, &off) == -1)
		return 1;
	/* the servers serve a name under FN_REFLEN (512) bytes and drop the
	 * connection, saying nothing, for a longer one */
	if ((size_t)(colon - v) >= POS_FILE_MAX)
		return conf_error(err, errlen, "start_position: the binlog "
		    "file name is %zu bytes long; a server's are %d at most "
		    "(SHOW BINARY LOGS lists them)", (size_t)(colon - v),
		    POS_FILE_MAX - 1);
	memcpy(conf->start_file, v, colon - v);
	conf->start_file[colon - v] = '\0';
	conf->start_offset = off;
	return 0;
}

int
config_parse_start(struct config *conf, const char *v, char *err,
    size_t errlen)
{
	struct gtid_set *set;
	char gerr[256];
	int rc, fp;

	conf->start_file[0] = conf->start_gtid[0] = '\0';
	conf->start_offset = 0;
	if (strcmp(v, "latest") == 0) {
		conf->start_kind = START_LATEST;
		return 0;
	}
	if (strcmp(v, "earliest") == 0) {
		conf->start_kind = START_EARLIEST;
		return 0;
	}
	/* GTID first: one MySQL GTID "uuid:5" also looks like file:offset. */
	set = gtid_set_new(gtid_text_flavor(v));
	rc = gtid_set_parse(set, v, gerr, sizeof(gerr));
	gtid_set_free(set);
	if (rc == -1 && (fp = conf_parse_file_pos(conf, v, err, errlen)) != 1) {
		if (fp == 0)
			conf->start_kind = START_FILE_POS;
		return fp;
	}
	if (rc == -1 || *v == '\0' ||
	    strlcpy_(conf->start_gtid, v, sizeof(conf->start_gtid)) >=
	    sizeof(conf->start_gtid))
		return conf_error(err, errlen, "start_position \"%s\" is not "
		    "latest, earliest, file:offset or a GTID set (%s)", v,
		    rc == -1 ? gerr : "empty or too long");
	conf->start_kind = START_GTID;
	return 0;
}

/* A pass-through option ("kafka.acks = all"): the part after the prefix
 * and the value, appended as one "name=value\n" line; a default ("")
 * appends nothing. */
static int
conf_add_prefixed(char *field, size_t size, const char *name, const char *v,
    char *err, size_t errlen)
{
	size_t len = strlen(field);
	int n;

	if (name == NULL)
		return 0;
	if (*name == '\0' || strchr(name, '=') != NULL)
		return conf_error(err, errlen, "a pass-through option needs a "
		    "property name after its prefix");
	n = snprintf(field + len, size - len, "%s=%s\n", name, v);
	if (n < 0 || (size_t)n >= size - len) {
		field[len] = '\0';
		return conf_error(err, errlen, "too many pass-through options "
		    "(%zu bytes at most)", size - 1);
	}
	return 0;
}

static int
conf_set(struct config *conf, const struct opt_def *o, const char *rest,
    const char *v, char *err, size_t errlen)
{
	char *field = (char *)conf + o->off;
	uint64_t u;
	double ms;

	switch (o->type) {
	case OPT_STR:
		if (strlcpy_(field, v, o->size) >= o->size)
			return conf_error(err, errlen, "%s is too long "
			    "(at most %zu bytes)", o->name, o->size - 1);
		return 0;
	case OPT_UINT:
		if (conf_parse_uint(v, &u) == -1 || u < o->min || u > o->max)
			return conf_error(err, errlen, "%s must be an integer "
			    "from %llu to %llu, not \"%s\"", o->name,
			    (unsigned long long)o->min,
			    (unsigned long long)o->max, v);
		if (o->size == sizeof(uint32_t))
			*(uint32_t *)field = (uint32_t)u;
		else
			*(unsigned *)field = (unsigned)u;
		return 0;
	case OPT_DURATION:
		if (conf_parse_duration(v, &ms) == -1 || ms < o->min ||
		    ms > o->max)
			return conf_error(err, errlen, "%s must be a duration "
			    "like 500ms, 10s, 2m from %gs to %gs, not \"%s\"",
			    o->name, o->min / 1000.0, o->max / 1000.0, v);
		*(double *)field = ms / 1000.0;
		return 0;
	case OPT_CHOICE:
		if (!conf_is_choice(v, o->choices))
			return conf_error(err, errlen, "%s must be one of %s, "
			    "not \"%s\"", o->name, o->choices, v);
		strlcpy_(field, v, o->size);
		return 0;
	case OPT_START:
		if (config_parse_start(conf, v, err, errlen) == -1)
			return -1;
		strlcpy_(field, v, o->size);
		return 0;
	case OPT_PREFIX:
		return conf_add_prefixed(field, o->size, rest, v, err, errlen);
	case OPT_LISTEN: {
		char host[CONF_STR_MAX];
		unsigned port;

		if (*v != '\0' && config_parse_listen(v, host, sizeof(host),
		    &port) == -1)
			return conf_error(err, errlen, "%s must be a port, "
			    "host:port or [v6-address]:port with a port from 1 "
			    "to 65535, not \"%s\"", o->name, v);
		if (strlcpy_(field, v, o->size) >= o->size)
			return conf_error(err, errlen, "%s is too long", o->name);
		return 0;
	}
	case OPT_GTID_USE:
		if (strcmp(v, "auto") == 0)
			conf->gtid = GTID_USE_AUTO;
		else if (strcmp(v, "on") == 0)
			conf->gtid = GTID_USE_ON;
		else if (strcmp(v, "off") == 0)
			conf->gtid = GTID_USE_OFF;
		else
			return conf_error(err, errlen, "gtid must be auto, on "
			    "or off, not \"%s\"", v);
		return 0;
	}
	return -1;
}

void
config_defaults(struct config *conf)
{
	char err[256];
	size_t i;

	memset(conf, 0, sizeof(*conf));
	for (i = 0; i < NOPTS; i++)
		if (conf_set(conf, &opts[i], NULL, opts[i].def, err,
		    sizeof(err)) == -1)
			abort();	/* a bad default is a bug of ours */
}

/* Edit distance, for "did you mean" on misspelt option names. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64], prev, tmp;

	if (la >= sizeof(row) / sizeof(row[0]) || lb >= 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

static const struct opt_def *
conf_find(const char *section, const char *name, const char **suggest)
{
	size_t i, best = 3;

	*suggest = NULL;
	for (i = 0; i < NOPTS; i++) {
		size_t d;

		if (strcmp(opts[i].section, section) != 0)
			continue;
		if (strcmp(opts[i].name, name) == 0 ||
		    (opts[i].type == OPT_PREFIX && strncmp(opts[i].name, name,
		    strlen(opts[i].name)) == 0))
			return &opts[i];
		if ((d = conf_distance(opts[i].name, name)) < best) {
			best = d;
			*suggest = opts[i].name;
		}
	}
	return NULL;
}

static int
conf_known_section(const char *section)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].section, section) == 0)
			return 1;
	return 0;
}

static char *
conf_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Strips a trailing " # comment"; '#' inside a value needs no space before
 * it to be kept, so passwords may contain '#'. */
static void
conf_strip_comment(char *s)
{
	char *p;

	for (p = s; (p = strchr(p, '#')) != NULL; p++)
		if (p == s || isspace((unsigned char)p[-1])) {
			*p = '\0';
			return;
		}
}

/* Parses one line; section is the current [section] ("" before any). */
static int
conf_line(struct config *conf, char *line, char *section, size_t seclen,
    unsigned char *seen, char *err, size_t errlen)
{
	const struct opt_def *o;
	const char *suggest;
	char *eq, *name, *value;

	conf_strip_comment(line);
	line = conf_trim(line);
	if (*line == '\0' || *line == ';')
		return 0;
	if (*line == '[') {
		char *close = strchr(line, ']');

		if (close == NULL || close[1] != '\0')
			return conf_error(err, errlen, "malformed section "
			    "header \"%s\"", line);
		*close = '\0';
		name = conf_trim(line + 1);
		if (!conf_known_section(name))
			return conf_error(err, errlen, "unknown section [%s] "
			    "(known: daemon, server, stream, sink, filter, checkpoint)",
			    name);
		strlcpy_(section, name, seclen);
		return 0;
	}
	if ((eq = strchr(line, '=')) == NULL)
		return conf_error(err, errlen, "expected \"name = value\", "
		    "got \"%s\"", line);
	*eq = '\0';
	name = conf_trim(line);
	value = conf_trim(eq + 1);
	if (*section == '\0')
		return conf_error(err, errlen, "option \"%s\" outside of a "
		    "[section]", name);
	if ((o = conf_find(section, name, &suggest)) == NULL) {
		if (suggest != NULL)
			return conf_error(err, errlen, "unknown option \"%s\" "
			    "in [%s]; did you mean \"%s\"?", name, section,
			    suggest);
		return conf_error(err, errlen, "unknown option \"%s\" in "
		    "[%s]", name, section);
	}
	if (o->type != OPT_PREFIX && seen[o - opts]++)
		return conf_error(err, errlen, "option \"%s\" in [%s] is set "
		    "twice", name, section);
	return conf_set(conf, o, name + strlen(o->name), value, err, errlen);
}

/* The incremental snapshot's watermark table: database.table, each a
 * name of up to 64 characters without another dot. */
static int
conf_check_watermark(const char *v, char *err, size_t errlen)
{
	const char *dot = strchr(v, '.');

	if (dot == NULL || dot == v || dot[1] == '\0' ||
	    strchr(dot + 1, '.') != NULL || dot - v > 64 ||
	    strlen(dot + 1) > 64)
		return conf_error(err, errlen, "[stream] "
		    "snapshot_watermark_table = %s: give database.table, "
		    "e.g. binlogd.watermark", v);
	return 0;
}

static int
conf_check(const struct config *conf, char *err, size_t errlen)
{
	if (conf->password[0] != '\0' && conf->password_file[0] != '\0')
		return conf_error(err, errlen, "[server] sets both password "
		    "and password_file; keep one");
	if (conf->heartbeat_period >= conf->read_timeout)
		return conf_error(err, errlen, "[server] heartbeat_period "
		    "(%gs) must be shorter than read_timeout (%gs), or an idle "
		    "stream times out", conf->heartbeat_period,
		    conf->read_timeout);
	if (conf->database[0] == '\0')
		return conf_error(err, errlen, "[checkpoint] database must "
		    "name a file");
	return conf_check_watermark(conf->snapshot_watermark_table, err,
	    errlen);
}

int
config_read_file(const char *path, char **text, size_t *len, char *err,
    size_t errlen)
{
	struct stat sb;
	ssize_t n;
	size_t got = 0;
	char *buf;
	int fd, rc = 0;

	/* O_NONBLOCK: a FIFO given as the file is refused, not waited on. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return conf_error(err, errlen, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) == -1)
		rc = conf_error(err, errlen, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		rc = conf_error(err, errlen, "%s is %s, not a configuration "
		    "file", path, S_ISDIR(sb.st_mode) ? "a directory" :
		    "not a regular file");
	else if (sb.st_size > CONF_FILE_MAX)
		rc = conf_error(err, errlen, "%s: %lld bytes, more than a "
		    "configuration file may hold (%d)", path,
		    (long long)sb.st_size, CONF_FILE_MAX);
	if (rc == -1) {
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return conf_error(err, errlen, "%s: out of memory", path);
	}
	while (got < (size_t)sb.st_size &&
	    (n = read(fd, buf + got, (size_t)sb.st_size - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conf_error(err, errlen, "%s: %s", path,
			    strerror(errno));
			close(fd);
			free(buf);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

int
config_parse(struct config *conf, const char *path, const char *text,
    size_t len, char *err, size_t errlen)
{
	unsigned char seen[NOPTS] = { 0 };
	char line[4096], section[64] = "", msg[1024];
	const char *p = text, *end = text + len;
	unsigned lineno = 0;

	config_defaults(conf);
	conf->path = path;
	for (; p < end; p++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (memchr(p, '\0', n) != NULL)
			return conf_error(err, errlen, "%s:%u: a NUL byte: "
			    "this is binary data, not a configuration file",
			    path, lineno);
		if (n >= sizeof(line))
			return conf_error(err, errlen, "%s:%u: line too long",
			    path, lineno);
		memcpy(line, p, n);
		line[n] = '\0';
		if (conf_line(conf, line, section, sizeof(section), seen, msg,
		    sizeof(msg)) == -1)
			return conf_error(err, errlen, "%s:%u: %s", path,
			    lineno, msg);
		p += n;
	}
	if (conf_check(conf, msg, sizeof(msg)) == -1)
		return conf_error(err, errlen, "%s: %s", path, msg);
	return 0;
}

int
config_load(struct config *conf, const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc;

	config_defaults(conf);
	conf->path = path;
	if (config_read_file(path, &text, &len, err, errlen) == -1)
		return -1;
	rc = config_parse(conf, path, text, len, err, errlen);
	free(text);
	return rc;
}

/* The first line, as binlogd.conf(5) says: a trailing newline (or the
 * lines a careless edit left below it) never becomes part of the password. */
int
config_read_password(struct config *conf, char *err, size_t errlen)
{
	char *text, msg[CONF_STR_MAX + 128];
	size_t size, len;

	if (conf->password_file[0] == '\0')
		return 0;
	if (config_read_file(conf->password_file, &text, &size, msg,
	    sizeof(msg)) == -1)
		return conf_error(err, errlen, "[server] password_file: %s",
		    msg);
	len = strcspn(text, "\r\n");
	text[len] = '\0';
	if (len >= sizeof(conf->password) || len == 0) {
		explicit_bzero(text, size);
		free(text);
		return conf_error(err, errlen, "[server] password_file %s: "
		    "%s", conf->password_file, len == 0 ? "the first line is "
		    "empty (it holds the password)" : "the first line is "
		    "too long for a password");
	}
	memcpy(conf->password, text, len + 1);
	explicit_bzero(text, size);
	free(text);
	return 0;
}

static const struct opt_def *
conf_exact(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].section, section) == 0 &&
		    strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

int
config_get(const char *path, const char *section, const char *name,
    char *buf, size_t size, char *err, size_t errlen)
{
	const struct opt_def *o = conf_exact(section, name);
	char line[4096], cur[64] = "", *l, *eq, *close;
	FILE *fp;

	if (o == NULL || o->type != OPT_STR)
		abort();	/* a caller asking for no such option: a bug */
	strlcpy_(buf, o->def, size);
	if ((fp = fopen(path, "r")) == NULL)
		return conf_error(err, errlen, "%s: %s", path,
		    strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		conf_strip_comment(line);
		l = conf_trim(line);
		if (*l == '[' && (close = strchr(l, ']')) != NULL) {
			*close = '\0';
			strlcpy_(cur, conf_trim(l + 1), sizeof(cur));
		} else if (strcmp(cur, section) == 0 &&
		    (eq = strchr(l, '=')) != NULL) {
			*eq = '\0';
			if (strcmp(conf_trim(l), name) == 0)
				strlcpy_(buf, conf_trim(eq + 1), size);
		}
	}
	fclose(fp);
	return 0;
}

