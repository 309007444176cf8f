/* binlogctl.c: the operator's command: asks a running binlogd over its
 * control socket for its status, metrics or checkpoint, or to restart,
 * reload, stop, hold the streamer, set its start position or snapshot a
 * table. */
#include "build.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "util.h"

#define CTL_TIMEOUT_SEC	10
/* Exit statuses of our own, beside the reply's enum ctl_result. */
#define CTL_NOT_RUNNING	2	/* nothing listens on the socket */
#define CTL_NO_ANSWER	8	/* binlogd closed the connection, or silent */
#define CTL_USAGE	64

struct ctl_cmd {
	const char	*name;
	uint32_t	 type;
	void		(*show)(struct msg_in *, int json);
	const char	*help;
	const char	*args[2];	/* the request's fields its arguments
					 * fill, in order */
	int		 optional;	/* how many of the last may be left
					 * out */
};

static void show_status(struct msg_in *, int);
static void show_message(struct msg_in *, int);
static void show_metrics(struct msg_in *, int);
static void show_checkpoint(struct msg_in *, int);
static void show_text(struct msg_in *, int);

static const struct ctl_cmd commands[] = {
	{ "status", MSG_CTL_STATUS, show_status,
	    "state of binlogd and its helpers", { NULL }, 0 },
	{ "restart", MSG_CTL_RESTART, show_message,
	    "restart the streamer from the saved position", { NULL }, 0 },
	{ "reload", MSG_CTL_RELOAD, show_message,
	    "reload the configuration and restart the streamer", { NULL },
	    0 },
	{ "stop", MSG_CTL_STOP, show_message, "stop binlogd gracefully",
	    { NULL }, 0 },
	{ "metrics", MSG_CTL_METRICS, show_metrics,
	    "the figures of the metrics endpoint, as Prometheus text",
	    { NULL }, 0 },
	{ "stop-streamer", MSG_CTL_STOP_STREAMER, show_message,
	    "stop the streamer and keep it stopped", { NULL }, 0 },
	{ "start-streamer", MSG_CTL_START_STREAMER, show_message,
	    "let a stopped streamer run again", { NULL }, 0 },
	{ "checkpoint", MSG_CTL_CHECKPOINT, show_checkpoint,
	    "the saved position, the gaps and the audit log", { NULL }, 0 },
	{ "set-position", MSG_CTL_SET_POSITION, show_message,
	    "set the start position (file:offset or GTID set) while the "
	    "streamer is stopped", { "position" }, 0 },
	{ "snapshot", MSG_CTL_SNAPSHOT, show_message,
	    "DB.TABLE [WHERE-condition]: the table's rows while streaming "
	    "goes on; snapshot stop: stop it", { "table", "where" }, 1 },
	{ "history", MSG_CTL_HISTORY, show_text,
	    "a table's schema history: history DB.TABLE", { "position" }, 0 },
	{ "schema", MSG_CTL_SCHEMA_RETAKE, show_message,
	    "schema retake DB.TABLE [at POSITION]: take the table's columns "
	    "from information_schema again, at its next row, while the "
	    "streamer is stopped", { "position" }, 0 },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

struct ctl_state {
	const struct ctl_cmd *cmd;
	struct event_base *base;
	int		 json;
	int		 result;
};

static void __attribute__((noreturn))
usage(int code)
{
	size_t i;

	fprintf(code ? stderr : stdout, "usage: binlogctl [-hj] [-c file] "
	    "[-s socket] command [argument ...]\n"
	    "  -c file    read control_socket from this configuration "
	    "(default %s)\n"
	    "  -h         this help\n"
	    "  -j         print JSON\n"
	    "  -s socket  the control socket (overrides -c)\n"
	    "  --version  print the version and exit\n"
	    "commands:\n", CONF_DEFAULT_PATH);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(code ? stderr : stdout, "  %-14s  %s\n",
		    commands[i].name, commands[i].help);
	exit(code);
}

/* Prints s as a JSON string. */
static void
json_str(const char *s, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* Seconds since the epoch as ISO 8601 UTC; "-" for 0 (never). */
static const char *
iso_time(uint64_t epoch, char *buf, size_t size)
{
	time_t t = (time_t)epoch;
	struct tm tm;

	if (epoch == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy_(buf, "-", size);
	return buf;
}

/* Takes a string field; "" when absent. */
static const char *
get_str(struct msg_in *in, const char *key, char *buf, size_t size)
{
	buf[0] = '\0';
	if (msg_has(in, key))
		msg_get_strbuf(in, key, buf, size);
	return buf;
}

static uint64_t
get_u64(struct msg_in *in, const char *key)
{
	uint64_t v = 0;

	if (msg_has(in, key))
		msg_get_u64(in, key, &v);
	return v;
}

static void
show_message(struct msg_in *in, int json)
{
	char message[1024];

	get_str(in, "message", message, sizeof(message));
	if (json) {
		printf("{\"message\":");
		json_str(message, strlen(message));
		printf("}\n");
	} else if (message[0] != '\0')
		printf("%s\n", message);
}

/* The message, however long (binlogctl history). */
static void
show_text(struct msg_in *in, int json)
{
	const char *text = "";
	size_t len = 0;

	if (msg_has(in, "message"))
		msg_get_str(in, "message", &text, &len);
	if (json) {
		printf("{\"message\":");
		json_str(text, len);
		printf("}\n");
	} else if (len > 0)
		printf("%.*s\n", (int)len, text);
}

static void
show_child(struct msg_in *in, const char *name, int json, int first)
{
	char key[64], state[32], last[256];
	uint64_t pid, uptime, restarts;

#define KEY(suffix) (snprintf(key, sizeof(key), "%s_%s", name, suffix), key)
	pid = get_u64(in, KEY("pid"));
	get_str(in, KEY("state"), state, sizeof(state));
	uptime = get_u64(in, KEY("uptime"));
	restarts = get_u64(in, KEY("restarts"));
	get_str(in, KEY("last_exit"), last, sizeof(last));
#undef KEY
	if (json) {
		printf("%s\"%s\":{\"pid\":%llu,\"state\":\"%s\","
		    "\"uptime\":%llu,\"restarts\":%llu,\"last_exit\":",
		    first ? "" : ",", name, (unsigned long long)pid, state,
		    (unsigned long long)uptime, (unsigned long long)restarts);
		json_str(last, strlen(last));
		printf("}");
		return;
	}
	printf("%-12s %-9s pid %-7llu up %6llus  restarts %llu%s%s\n", name,
	    state, (unsigned long long)pid, (unsigned long long)uptime,
	    (unsigned long long)restarts, last[0] ? "  last: " : "", last);
}

/* The streamer's figures (MSG_STATS_FIELDS) as one JSON object. */
static void
show_stream_json(struct msg_in *in)
{
	static char s[8192];
	const char *sep = "";

	printf(",\"stream\":{");
#define SHOW_U(n)	printf("%s\"" #n "\":%llu", sep, \
			    (unsigned long long)get_u64(in, #n));
#define SHOW_S(n)	printf("%s\"" #n "\":", sep); \
			get_str(in, #n, s, sizeof(s)); json_str(s, strlen(s));
#define X(n, k, h)	SHOW_##k(n) sep = ",";
	MSG_STATS_FIELDS(X)
#undef X
	get_str(in, "rows_per_sec", s, sizeof(s));
	printf(",\"rows_per_sec\":%s", s[0] ? s : "0");
	printf(",\"last_event_age\":%llu}",
	    (unsigned long long)get_u64(in, "last_event_age"));
	printf(",\"checkpoint\":{\"gtid\":");
	get_str(in, "saved_gtid", s, sizeof(s));
	json_str(s, strlen(s));
	printf(",\"file\":");
	get_str(in, "saved_file", s, sizeof(s));
	json_str(s, strlen(s));
	printf(",\"offset\":%llu,\"saved_at\":%llu,\"age\":%llu}",
	    (unsigned long long)get_u64(in, "saved_offset"),
	    (unsigned long long)get_u64(in, "saved_at"),
	    (unsigned long long)get_u64(in, "checkpoint_age"));
}

#define U(n)	((unsigned long long)get_u64(in, n))

/* Before the streamer's first figures, nothing is known of the server. */
static void
show_server(struct msg_in *in)
{
	char a[256], b[256], c[256], d[128];

	get_str(in, "server_host", c, sizeof(c));
	if (get_str(in, "server_version", b, sizeof(b))[0] == '\0') {
		printf("server       %s, not connected yet\n", c[0] ? c : "-");
		return;
	}
	printf("server       %s %s at %s, server_id %llu%s%s\n",
	    get_str(in, "server_flavour", a, sizeof(a)), b, c, U("server_id"),
	    get_str(in, "server_uuid", d, sizeof(d))[0] ? ", uuid " : "", d);
}

static void
show_stream_text(struct msg_in *in)
{
	static char gtid[8192];
	char a[256], rate[32];

	show_server(in);
	printf("connection   %s, last event %llus ago\n",
	    get_str(in, "connection", a, sizeof(a)), U("last_event_age"));
	printf("position     %s:%llu%s%s\n",
	    get_str(in, "file", a, sizeof(a)), U("offset"),
	    get_str(in, "gtid", gtid, sizeof(gtid))[0] ? " gtid " : "", gtid);
	if (get_str(in, "saved_file", a, sizeof(a))[0] != '\0' ||
	    get_str(in, "saved_gtid", gtid, sizeof(gtid))[0] != '\0')
		printf("saved        %s:%llu%s%s, %llus ago\n", a,
		    U("saved_offset"), get_str(in, "saved_gtid", gtid,
		    sizeof(gtid))[0] ? " gtid " : "", gtid,
		    U("checkpoint_age"));
	else
		printf("saved        none\n");
	printf("behind       %llus\n", U("seconds_behind"));
	printf("rows         insert %llu  update %llu  delete %llu  "
	    "(%s rows/s over the last minute)\n", U("rows_insert"),
	    U("rows_update"), U("rows_delete"),
	    get_str(in, "rows_per_sec", rate, sizeof(rate)));
	printf("events       rows %llu  query %llu  xid %llu  gtid %llu  "
	    "table_map %llu  rotate %llu  heartbeat %llu  other %llu\n",
	    U("events_rows"), U("events_query"), U("events_xid"),
	    U("events_gtid"), U("events_table_map"), U("events_rotate"),
	    U("events_heartbeat"), U("events_other"));
	printf("read         %llu bytes\n", U("bytes_read"));
	printf("fsyncs       %llu for %llu transactions", U("sink_fsyncs"),
	    U("sink_fsync_trx"));
	if (U("sink_fsyncs") > 0)
		printf(" (%.1f a batch, %.2f ms each)",
		    (double)U("sink_fsync_trx") / (double)U("sink_fsyncs"),
		    (double)U("sink_fsync_us") / 1e3 / (double)U("sink_fsyncs"));
	printf("\n");
	if (get_str(in, "snapshot", a, sizeof(a))[0] != '\0')
		printf("snapshot     %s, %llu rows; %s: %llu of ~%llu rows, "
		    "%llu chunks\n", a, U("snapshot_rows"), get_str(in,
		    "snapshot_table", gtid, sizeof(gtid)),
		    U("snapshot_table_rows"), U("snapshot_table_estimate"),
		    U("snapshot_chunks"));
	printf("gaps         %llu%s%s\n", U("gaps"),
	    get_str(in, "last_gap", gtid, sizeof(gtid))[0] ? ", the last: " :
	    "", gtid);
	if (get_str(in, "last_error", gtid, sizeof(gtid))[0] == '\0')
		printf("last error   -\n");
	else
		printf("last error   %s %s\n", iso_time(U("last_error_at"), a,
		    sizeof(a)), gtid);
}
#undef U

static void
show_status(struct msg_in *in, int json)
{
	char state[32], message[256], version[64];
	uint64_t pid, uptime;

	get_str(in, "message", message, sizeof(message));
	get_str(in, "state", state, sizeof(state));
	get_str(in, "version", version, sizeof(version));
	pid = get_u64(in, "pid");
	uptime = get_u64(in, "uptime");
	if (json) {
		printf("{\"state\":\"%s\",\"version\":", state);
		json_str(version, strlen(version));
		printf(",\"pid\":%llu,\"uptime\":%llu,\"children\":{",
		    (unsigned long long)pid, (unsigned long long)uptime);
		show_child(in, "checkpointd", 1, 1);
		show_child(in, "streamer", 1, 0);
		printf("}");
		show_stream_json(in);
		printf("}\n");
		return;
	}
	printf("binlogd      %-9s pid %-7llu up %6llus  version %s\n", state,
	    (unsigned long long)pid, (unsigned long long)uptime, version);
	show_child(in, "checkpointd", 0, 1);
	show_child(in, "streamer", 0, 0);
	show_stream_text(in);
}

static void
show_metrics(struct msg_in *in, int json)
{
	const char *text = "";
	size_t len = 0;

	msg_get_str(in, "text", &text, &len);
	if (json) {
		printf("{\"text\":");
		json_str(text, len);
		printf("}\n");
	} else
		fwrite(text, 1, len, stdout);
}

/* A list of lines as a JSON array, or indented text. */
static void
show_lines(const char *list, int json)
{
	const char *nl;
	size_t len;

	if (json)
		putchar('[');
	while (*list) {
		nl = strchr(list, '\n');
		len = nl ? (size_t)(nl - list) : strlen(list);
		if (json)
			json_str(list, len);
		else
			printf("  %.*s\n", (int)len, list);
		list += len + (nl != NULL);
		if (json && *list)
			putchar(',');
	}
	if (json)
		putchar(']');
}

static void
show_checkpoint_json(struct msg_in *in)
{
	static char s[32768];
	static const char *const str[] = { "gtid", "file", "server_uuid",
	    "saved_at" };
	static const char *const num[] = { "offset", "server_id", "ts",
	    "rows_done", "gaps", "audits" };
	size_t i;

	printf("{\"found\":%s", msg_has(in, "file") ? "true" : "false");
	for (i = 0; i < sizeof(str) / sizeof(str[0]); i++) {
		printf(",\"%s\":", str[i]);
		get_str(in, str[i], s, sizeof(s));
		json_str(s, strlen(s));
	}
	for (i = 0; i < sizeof(num) / sizeof(num[0]); i++)
		printf(",\"%s\":%llu", num[i],
		    (unsigned long long)get_u64(in, num[i]));
	printf(",\"gap_list\":");
	show_lines(get_str(in, "gap_list", s, sizeof(s)), 1);
	printf(",\"audit_list\":");
	show_lines(get_str(in, "audit_list", s, sizeof(s)), 1);
	printf("}\n");
}

#define U(n)	((unsigned long long)get_u64(in, n))

/* binlogctl checkpoint: what checkpointd read back from its database. */
static void
show_checkpoint(struct msg_in *in, int json)
{
	static char s[32768];
	char a[256], b[128];

	if (json) {
		show_checkpoint_json(in);
		return;
	}
	if (!msg_has(in, "file"))
		printf("position     none saved\n");
	else {
		printf("position     %s:%llu\n",
		    get_str(in, "file", a, sizeof(a)), U("offset"));
		printf("gtid         %s\n", get_str(in, "gtid", s, sizeof(s)));
		printf("server       server_id %llu%s%s\n", U("server_id"),
		    get_str(in, "server_uuid", b, sizeof(b))[0] ? ", uuid " :
		    "", b);
		printf("event time   %s\n", iso_time(U("ts"), a, sizeof(a)));
		printf("saved at     %s\n",
		    get_str(in, "saved_at", a, sizeof(a)));
	}
	printf("gaps         %llu\n", U("gaps"));
	show_lines(get_str(in, "gap_list", s, sizeof(s)), 0);
	printf("audit        %llu\n", U("audits"));
	show_lines(get_str(in, "audit_list", s, sizeof(s)), 0);
}
#undef U

static void
ctl_dispatch(struct peer *p UNUSED, struct msg_in *msg, void *arg)
{
	struct ctl_state *st = arg;
	uint64_t result = CTL_FAILED;
	char message[1024];

	if (msg == NULL)
		errx(CTL_NO_ANSWER, "binlogd closed the connection without "
		    "answering (too many clients, or it is stopping); try "
		    "again");
	if (msg->type != MSG_CTL_REPLY)
		errx(CTL_FAILED, "unexpected %s from binlogd",
		    msg_type_name(msg->type));
	msg_get_u64(msg, "result", &result);
	if (result != CTL_OK) {
		get_str(msg, "message", message, sizeof(message));
		errx((int)result, "%s: %s", st->cmd->name, message);
	}
	st->cmd->show(msg, st->json);
	st->result = (int)result;
	event_base_loopbreak(st->base);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy_(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(CTL_USAGE, "%s: path too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(CTL_FAILED, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ECONNREFUSED:
		err(CTL_NOT_RUNNING, "binlogd is not running: nothing "
		    "listens on %s", path);
	case EACCES:
	case EPERM:
		err(CTL_DENIED, "%s: permission denied: run as root, as "
		    "binlogd's user or as a member of the socket's group",
		    path);
	default:
		err(CTL_NO_ANSWER, "cannot reach binlogd at %s", path);
	}
}

static int
ctl_nargs(const struct ctl_cmd *cmd)
{
	int n = 0;

	while (n < 2 && cmd->args[n] != NULL)
		n++;
	return n;
}

static const struct ctl_cmd *
ctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	warnx("unknown command \"%s\"", name);
	usage(CTL_USAGE);
}

/* schema retake DB.TABLE [at POSITION], as one argument. */
static const char *
ctl_retake_arg(int argc, char **argv)
{
	static char buf[CONF_STR_MAX + 160];

	if ((argc != 3 && argc != 5) || strcmp(argv[1], "retake") != 0 ||
	    (argc == 5 && strcmp(argv[3], "at") != 0)) {
		warnx("usage: schema retake DB.TABLE [at POSITION]");
		usage(CTL_USAGE);
	}
	if ((size_t)snprintf(buf, sizeof(buf), "%s%s%s", argv[2],
	    argc == 5 ? " at " : "", argc == 5 ? argv[4] : "") >= sizeof(buf))
		errx(CTL_USAGE, "the argument is too long");
	return buf;
}

int
main(int argc, char **argv)
{
	const char *conf_path = CONF_DEFAULT_PATH, *sock = NULL;
	struct ctl_state st = { .result = CTL_FAILED };
	struct timeval tv = { CTL_TIMEOUT_SEC, 0 };
	static char conf_sock[CONF_STR_MAX];
	struct msg_out m;
	struct peer *p;
	char errbuf[1024];
	const char *retake = NULL;
	int ch, i, nargs;

	version_option(argc, argv, "binlogctl");
	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		usage(0);
	while ((ch = getopt(argc, argv, "c:hjs:")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			usage(0);
		case 'j':
			st.json = 1;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage(CTL_USAGE);
		}
	}
	if (optind == argc)
		usage(CTL_USAGE);
	st.cmd = ctl_find(argv[optind++]);
	nargs = ctl_nargs(st.cmd);
	if (st.cmd->type == MSG_CTL_SCHEMA_RETAKE)
		retake = ctl_retake_arg(argc - optind + 1, argv + optind - 1);
	else if (argc - optind > nargs || argc - optind < nargs -
	    st.cmd->optional) {
		if (st.cmd->optional > 0)
			warnx("%s takes %d to %d arguments", st.cmd->name,
			    nargs - st.cmd->optional, nargs);
		else
			warnx("%s takes %s", st.cmd->name, nargs == 0 ?
			    "no argument" : "one argument");
		usage(CTL_USAGE);
	}
	/* Only control_socket: the rest of the file is binlogd's to judge. */
	if (sock == NULL) {
		if (config_get(conf_path, "daemon", "control_socket",
		    conf_sock, sizeof(conf_sock), errbuf, sizeof(errbuf)) == -1)
			errx(CTL_USAGE, "%s (or give the socket with -s)",
			    errbuf);
		sock = conf_sock;
	}
	log_init("binlogctl", LOG_TO_STDERR, 0);

	if ((st.base = event_base_new()) == NULL)
		errx(CTL_FAILED, "event_base_new failed");
	p = peer_new(st.base, ctl_connect(sock), "binlogd", ctl_dispatch, &st);
	msg_out_begin(&m, st.cmd->type, peer_next_id(p));
	msg_put_u64(&m, "protocol", MSG_PROTOCOL_VERSION);
	if (retake != NULL)
		msg_put_str(&m, "position", retake);
	for (i = 0; retake == NULL && optind + i < argc; i++)
		msg_put_str(&m, st.cmd->args[i], argv[optind + i]);
	peer_send(p, &m);
	msg_out_free(&m);
	event_base_loopexit(st.base, &tv);
	event_base_dispatch(st.base);
	if (st.result == CTL_FAILED)
		errx(CTL_NO_ANSWER, "no answer from binlogd within %ds; see "
		    "its log", CTL_TIMEOUT_SEC);
	peer_free(p);
	event_base_free(st.base);
	return st.result;
}
