/* metrics.c: the supervisor's figures -- the streamer's latest MSG_STATS,
 * checkpointd's saved position, the row rate, restarts by cause -- served
 * to binlogctl status and as Prometheus text on an optional loopback HTTP
 * endpoint. */
#include "build.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "binlogd.h"
#include "exitcode.h"
#include "log.h"
#include "position.h"
#include "util.h"

#define METRICS_RATE_WINDOW	60	/* seconds of rows/s */
#define METRICS_CAUSES		16
#define METRICS_CLIENTS		16	/* HTTP connections at once */
#define METRICS_TIMEOUT		10	/* seconds, for a request or a reply */
#define METRICS_REQUEST_MAX	8192	/* bytes of request line and headers */

/* The streamer's last MSG_STATS. */
static struct msg_stats stats;
/* Wall clock at start: how far behind a streamer that never read is. */
static time_t metrics_started;

/* checkpointd's last CKPT_COMMITTED: the position on disk. */
static struct position saved;
static bool has_saved;
static uint64_t saved_at;	/* seconds since the epoch */

/* Total rows at one-second samples, for the rate over the last minute. */
static struct {
	double		 t;
	uint64_t	 rows;
} samples[METRICS_RATE_WINDOW + 1];
static unsigned	nsamples, sample_next;

/* Child exits that led to a restart, by child and cause. */
static struct {
	const char	*child;
	char		 cause[32];
	uint64_t	 count;
} causes[METRICS_CAUSES];

static struct supervisor *metrics_sup;
static struct acceptor *metrics_acceptor;
static int metrics_fd = -1;

static uint64_t
metrics_rows(void)
{
	return stats.rows_insert + stats.rows_update + stats.rows_delete;
}

static void
metrics_sample(void)
{
	uint64_t rows = metrics_rows();
	unsigned last = (sample_next + METRICS_RATE_WINDOW) %
	    (METRICS_RATE_WINDOW + 1);

	if (nsamples > 0 && rows < samples[last].rows)
		nsamples = 0;	/* a new streamer counts from zero */
	samples[sample_next].t = mono_now();
	samples[sample_next].rows = rows;
	sample_next = (sample_next + 1) % (METRICS_RATE_WINDOW + 1);
	if (nsamples < METRICS_RATE_WINDOW + 1)
		nsamples++;
}

/* Rows per second between the oldest and the newest sample. */
static double
metrics_rate(void)
{
	unsigned n = METRICS_RATE_WINDOW + 1, newest, oldest;
	double dt;

	if (nsamples < 2)
		return 0;
	newest = (sample_next + n - 1) % n;
	oldest = (sample_next + n - nsamples) % n;
	dt = samples[newest].t - samples[oldest].t;
	return dt > 0 ? (double)(samples[newest].rows -
	    samples[oldest].rows) / dt : 0;
}

/* A new streamer knows nothing yet: until it does, the figures of the one
 * before stay (server, position, last error, times), so that an outage
 * that outlasts a streamer still shows. */
static void
metrics_keep(const struct msg_stats *b)
{
	if (stats.server_version[0] == '\0') {
		strlcpy_(stats.server_flavour, b->server_flavour,
		    sizeof(stats.server_flavour));
		strlcpy_(stats.server_version, b->server_version,
		    sizeof(stats.server_version));
		strlcpy_(stats.server_uuid, b->server_uuid,
		    sizeof(stats.server_uuid));
		stats.server_id = b->server_id;
	}
	if (stats.file[0] == '\0' && stats.gtid[0] == '\0') {
		strlcpy_(stats.file, b->file, sizeof(stats.file));
		strlcpy_(stats.gtid, b->gtid, sizeof(stats.gtid));
		stats.offset = b->offset;
	}
	if (stats.last_error_at < b->last_error_at) {
		strlcpy_(stats.last_error, b->last_error,
		    sizeof(stats.last_error));
		stats.last_error_at = b->last_error_at;
	}
	if (stats.last_event_at < b->last_event_at)
		stats.last_event_at = b->last_event_at;
	if (stats.synced_at < b->synced_at)
		stats.synced_at = b->synced_at;
}

/* "down" while no streamer runs, else what the streamer says. */
static const char *
metrics_connection(const struct supervisor *sup)
{
	enum child_state s = sup->children[ROLE_STREAMER].state;

	if (s != CHILD_READY && s != CHILD_STARTING)
		return "down";
	return stats.connection[0] ? stats.connection : "connecting";
}

static uint64_t
metrics_since(uint64_t t)
{
	time_t now = time(NULL);

	if (t == 0)
		t = (uint64_t)metrics_started;
	return (uint64_t)now > t ? (uint64_t)now - t : 0;
}

/* While events flow, the streamer's own figure; otherwise the lag grows
 * from the last time the stream was known complete (a heartbeat, an
 * event's time), or from binlogd's start when it never was. */
static uint64_t
metrics_lag(const struct supervisor *sup)
{
	if (strcmp(metrics_connection(sup), "streaming") == 0)
		return stats.seconds_behind;
	return metrics_since(stats.synced_at);
}

/* The streamer's MSG_STATS: trust follows the sender, so a malformed one
 * is a bug. */
void
metrics_stats_msg(struct msg_in *msg)
{
	static struct msg_stats before;

	before = stats;
	msg_get_stats(msg, &stats);
	msg_sibling_end("streamer", msg);
	metrics_keep(&before);
	metrics_sample();
}

void
metrics_ckpt_msg(struct msg_in *msg)
{
	bool found = false;

	msg_get_bool(msg, "found", &found);
	if (found)
		position_get(msg, &saved);
	msg_get_u64(msg, "saved_at", &saved_at);
	msg_sibling_end("checkpointd", msg);
	has_saved = found;
}

/* Seconds since checkpointd last committed a position; 0 when none is
 * saved.  It grows while the server is idle: nothing new to save. */
static uint64_t
metrics_ckpt_age(void)
{
	time_t now = time(NULL);

	if (!has_saved || saved_at == 0 || (uint64_t)now < saved_at)
		return 0;
	return (uint64_t)now - saved_at;
}

/* The figures binlogctl status shows, added to its reply. */
void
metrics_put_status(const struct supervisor *sup, struct msg_out *m)
{
	static struct msg_stats v;
	char rate[32];

	v = stats;
	v.seconds_behind = metrics_lag(sup);
	strlcpy_(v.connection, metrics_connection(sup), sizeof(v.connection));
	msg_put_stats(m, &v);
	msg_put_u64(m, "last_event_age", metrics_since(stats.last_event_at));
	snprintf(rate, sizeof(rate), "%.1f", metrics_rate());
	msg_put_str(m, "rows_per_sec", rate);
	msg_put_str(m, "saved_gtid", has_saved ? saved.gtid : "");
	msg_put_str(m, "saved_file", has_saved ? saved.file : "");
	msg_put_u64(m, "saved_offset", has_saved ? saved.offset : 0);
	msg_put_u64(m, "saved_at", has_saved ? saved_at : 0);
	msg_put_u64(m, "checkpoint_age", metrics_ckpt_age());
}

/* Counts an exit that the supervisor answers with a restart. */
void
metrics_child_exit(const struct child *c, int status)
{
	char cause[32];
	int i;

	if (WIFSIGNALED(status))
		snprintf(cause, sizeof(cause), "signal");
	else
		snprintf(cause, sizeof(cause), "%s",
		    exit_code_key(WEXITSTATUS(status)));
	for (i = 0; i < METRICS_CAUSES && causes[i].child != NULL; i++)
		if (causes[i].child == c->name &&
		    strcmp(causes[i].cause, cause) == 0)
			break;
	if (i == METRICS_CAUSES)
		return;
	causes[i].child = c->name;
	strlcpy_(causes[i].cause, cause, sizeof(causes[i].cause));
	causes[i].count++;
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void
metrics_label(struct evbuffer *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

static void
metrics_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP binlogd_%s %s\n# TYPE binlogd_%s %s\n",
	    name, help, name, type);
}

/* A metric with one unlabelled value. */
static void
metrics_one(struct evbuffer *b, const char *name, const char *type,
    const char *help, uint64_t value)
{
	metrics_head(b, name, type, help);
	evbuffer_add_printf(b, "binlogd_%s %llu\n", name,
	    (unsigned long long)value);
}

static void
metrics_stream(struct evbuffer *b, const struct supervisor *sup)
{
	metrics_head(b, "rows_total", "counter", "Row changes decoded since "
	    "the streamer started, by type.");
#define ROW(t) evbuffer_add_printf(b, "binlogd_rows_total{type=\"" #t \
	    "\"} %llu\n", (unsigned long long)stats.rows_##t)
	ROW(insert); ROW(update); ROW(delete);
#undef ROW
	metrics_head(b, "events_total", "counter", "Binlog events read since "
	    "the streamer started, by type.");
#define EV(t) evbuffer_add_printf(b, "binlogd_events_total{type=\"" #t \
	    "\"} %llu\n", (unsigned long long)stats.events_##t)
	EV(rows); EV(query); EV(xid); EV(gtid); EV(table_map); EV(rotate);
	EV(heartbeat); EV(other);
#undef EV
	metrics_one(b, "bytes_read_total", "counter", "Bytes of binlog events "
	    "read since the streamer started.", stats.bytes_read);
	metrics_one(b, "seconds_behind", "gauge", "How far the stream is "
	    "behind the server's clock; it grows while the server cannot be "
	    "read.", metrics_lag(sup));
	metrics_one(b, "connected", "gauge", "1 while the streamer is "
	    "connected to the server.", strcmp(metrics_connection(sup),
	    "streaming") == 0 || strcmp(metrics_connection(sup),
	    "connected") == 0);
	metrics_one(b, "last_event_age_seconds", "gauge", "Seconds since the "
	    "streamer last read an event or heartbeat (since binlogd started, "
	    "before the first).", metrics_since(stats.last_event_at));
	metrics_one(b, "last_error_timestamp_seconds", "gauge", "When the "
	    "streamer's last error happened, in seconds since the epoch (0: "
	    "none).", stats.last_error_at);
	metrics_one(b, "gaps_total", "counter", "Gaps (binlog skipped by "
	    "on_purged, statement-logged changes, incidents, oversize rows) "
	    "recorded in the "
	    "checkpoint database.", stats.gaps);
	metrics_one(b, "checkpoint_age_seconds", "gauge", "Seconds since the "
	    "position was last saved (0 before the first save).",
	    metrics_ckpt_age());
	metrics_one(b, "sink_errors_total", "counter", "Errors the sink "
	    "reported since the streamer started.", stats.sink_errors);
	metrics_one(b, "sink_fsyncs_total", "counter", "Fsyncs of the file "
	    "sink since the streamer started (one per group commit).",
	    stats.sink_fsyncs);
	metrics_one(b, "sink_fsync_transactions_total", "counter",
	    "Transactions made durable by those fsyncs: over "
	    "sink_fsyncs_total, the group commit's batch size.",
	    stats.sink_fsync_trx);
	metrics_head(b, "sink_fsync_seconds_total", "counter", "Time spent "
	    "in those fsyncs: over sink_fsyncs_total, the disk's fsync "
	    "latency.");
	evbuffer_add_printf(b, "binlogd_sink_fsync_seconds_total %.6f\n",
	    (double)stats.sink_fsync_us / 1e6);
	metrics_one(b, "statement_logged_total", "counter", "Changes the "
	    "server logged as statements, which have no rows in the records "
	    "(each transaction's first is recorded as a gap).",
	    stats.statement_logged);
	metrics_one(b, "incidents_total", "counter", "INCIDENT events read: "
	    "changes the server says it lost (each recorded as a gap).",
	    stats.incidents);
	metrics_one(b, "oversize_skipped_total", "counter", "Rows whose "
	    "record was over the sink's message limit, skipped by "
	    "on_oversize = skip (each recorded as a gap).",
	    stats.oversize_skipped);
	metrics_one(b, "schema_mismatches_total", "counter", "DDL whose "
	    "result in binlogd's schema history differed from the server's "
	    "(information_schema, read when caught up); the server's was "
	    "kept.", stats.schema_mismatches);
	metrics_head(b, "rows_per_second", "gauge", "Rows per second over "
	    "the last minute.");
	evbuffer_add_printf(b, "binlogd_rows_per_second %.3f\n",
	    metrics_rate());
	metrics_head(b, "server_info", "gauge", "The server streamed from.");
	evbuffer_add_printf(b, "binlogd_server_info{flavour=\"");
	metrics_label(b, stats.server_flavour);
	evbuffer_add_printf(b, "\",version=\"");
	metrics_label(b, stats.server_version);
	evbuffer_add_printf(b, "\",server_id=\"%llu\"} 1\n",
	    (unsigned long long)stats.server_id);
}

static void
metrics_children(struct evbuffer *b, const struct supervisor *sup)
{
	uint64_t decode = 0;
	int i;

	metrics_head(b, "child_up", "gauge", "1 while the child is ready.");
	for (i = 0; i < ROLE_COUNT; i++)
		evbuffer_add_printf(b, "binlogd_child_up{child=\"%s\"} %d\n",
		    sup->children[i].name,
		    sup->children[i].state == CHILD_READY);
	metrics_head(b, "restarts_total", "counter", "Child exits answered "
	    "with a restart, by child and cause.");
	for (i = 0; i < METRICS_CAUSES && causes[i].child != NULL; i++) {
		evbuffer_add_printf(b, "binlogd_restarts_total{child=\"%s\","
		    "cause=\"%s\"} %llu\n", causes[i].child, causes[i].cause,
		    (unsigned long long)causes[i].count);
		if (strcmp(causes[i].cause, exit_code_key(BX_DECODE)) == 0)
			decode += causes[i].count;
	}
	metrics_head(b, "decode_errors_total", "counter", "Events the "
	    "streamer could not decode (each one restarts it).");
	evbuffer_add_printf(b, "binlogd_decode_errors_total %llu\n",
	    (unsigned long long)decode);
}

/* The whole exposition, shared by /metrics and binlogctl metrics. */
void
metrics_text(const struct supervisor *sup, struct evbuffer *b)
{
	metrics_head(b, "build_info", "gauge", "The version of binlogd "
	    "running.");
	evbuffer_add_printf(b, "binlogd_build_info{version=\"");
	metrics_label(b, PACKAGE_VERSION);
	evbuffer_add_printf(b, "\"} 1\n");
	metrics_stream(b, sup);
	metrics_children(b, sup);
}

/* The HTTP side: a request in, one reply out, the connection closed.
 * METRICS_CLIENTS slots, METRICS_TIMEOUT for the request and the reply;
 * when all slots are taken the oldest client makes room, so that a scraper
 * (which sends its request at once) is served however many connections
 * others hold open. */
struct http_client {
	struct bufferevent *bev;
	double		 since;
	bool		 replied;
};
static struct http_client http_clients[METRICS_CLIENTS];

static void
metrics_http_close(struct http_client *c)
{
	bufferevent_free(c->bev);
	c->bev = NULL;
}

/* Sends the reply; the connection closes once it is out. */
static void
metrics_http_reply(struct http_client *c, int code, const char *reason,
    const char *extra, struct evbuffer *body, bool head)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = body ? evbuffer_get_length(body) : strlen(reason) + 1;

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", code,
	    reason, body ? "text/plain; version=0.0.4; charset=utf-8" :
	    "text/plain; charset=utf-8", len, extra);
	if (head)
		;
	else if (body)
		evbuffer_add_buffer(out, body);
	else
		evbuffer_add_printf(out, "%s\n", reason);
	c->replied = true;
}

/* The request line of a whole request: GET or HEAD /metrics. */
static void
metrics_http_request(struct http_client *c, const char *line)
{
	char method[16], target[1024], version[16];
	struct evbuffer *b;
	bool head;

	if (sscanf(line, "%15s %1023s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		metrics_http_reply(c, 400, "Bad Request", "", NULL, false);
		return;
	}
	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		metrics_http_reply(c, 405, "Method Not Allowed",
		    "Allow: GET, HEAD\r\n", NULL, false);
		return;
	}
	target[strcspn(target, "?")] = '\0';
	if (strcmp(target, "/metrics") != 0) {
		metrics_http_reply(c, 404, "Not Found", "", NULL, head);
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new: out of memory");
	metrics_text(metrics_sup, b);
	metrics_http_reply(c, 200, "OK", "", b, head);
	evbuffer_free(b);
}

static void
metrics_http_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end;
	char *line;

	if (c->replied) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos == -1)
		end = evbuffer_search(in, "\n\n", 2, NULL);
	if (end.pos == -1) {
		if (evbuffer_get_length(in) > METRICS_REQUEST_MAX)
			metrics_http_reply(c, 431, "Request Header Fields Too "
			    "Large", "", NULL, false);
		return;
	}
	line = evbuffer_readln(in, NULL, EVBUFFER_EOL_CRLF);
	metrics_http_request(c, line ? line : "");
	free(line);
	evbuffer_drain(in, evbuffer_get_length(in));
}

/* The reply is out: half-close, and let the client close (a close with
 * its bytes unread would reset the connection and could lose the reply). */
static void
metrics_http_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_client *c = arg;

	if (c->replied)
		shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void
metrics_http_event_cb(struct bufferevent *bev UNUSED, short what UNUSED,
    void *arg)
{
	metrics_http_close(arg);
}

/* A free slot, or the oldest client's. */
static struct http_client *
metrics_http_slot(void)
{
	struct http_client *oldest = &http_clients[0];
	int i;

	for (i = 0; i < METRICS_CLIENTS; i++) {
		if (http_clients[i].bev == NULL)
			return &http_clients[i];
		if (http_clients[i].since < oldest->since)
			oldest = &http_clients[i];
	}
	acceptor_drop(metrics_acceptor, "closing the oldest client: all "
	    "slots taken");
	metrics_http_close(oldest);
	return oldest;
}

static void
metrics_accept_cb(int fd, void *arg)
{
	struct event_base *base = arg;
	struct http_client *c = metrics_http_slot();
	struct timeval tv = { METRICS_TIMEOUT, 0 };

	if ((c->bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("bufferevent_socket_new: out of memory");
	c->since = mono_now();
	c->replied = false;
	bufferevent_setcb(c->bev, metrics_http_read_cb, metrics_http_write_cb,
	    metrics_http_event_cb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ);
}

/* A listening TCP socket on host:port, or -1 with errno. */
static int
metrics_listen(const char *host, unsigned port)
{
	struct addrinfo hints, *ai;
	char service[8];
	int fd, on = 1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &ai) != 0) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd != -1 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 128) == -1)) {
		e = errno;
		close(fd);
		errno = e;
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Binds the endpoint when [daemon] metrics_listen is set. */
void
metrics_init(struct supervisor *sup)
{
	const char *spec = sup->conf.metrics_listen;
	char host[256];
	unsigned port;

	metrics_started = time(NULL);
	if (spec[0] == '\0')
		return;
	if (config_parse_listen(spec, host, sizeof(host), &port) == -1)
		fatalx_code(BX_CONFIG, "metrics_listen = %s: give a port, "
		    "host:port or [v6-address]:port", spec);
	if ((metrics_fd = metrics_listen(host, port)) == -1)
		fatalx_code(BX_CONFIG, "metrics_listen = %s: cannot listen "
		    "on %s port %u: %s (in use, or not a local address?)", spec,
		    host, port, strerror(errno));
	metrics_sup = sup;
	metrics_acceptor = acceptor_new(sup->base, metrics_fd, "metrics",
	    metrics_accept_cb, sup->base);
	log_info("metrics on http://%s:%u/metrics", host, port);
}

void
metrics_cleanup(void)
{
	int i;

	for (i = 0; i < METRICS_CLIENTS; i++)
		if (http_clients[i].bev != NULL)
			metrics_http_close(&http_clients[i]);
	acceptor_free(metrics_acceptor);
	metrics_acceptor = NULL;
	if (metrics_fd != -1)
		close(metrics_fd);
	metrics_fd = -1;
}
