/* test_checkpointd.c: the built binlogd-checkpointd driven over its real
 * sockets, playing the supervisor (fd 3) and the streamer, with what is on
 * disk read back through SQLite itself. */
#include "build.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "exitcode.h"
#include "msg.h"
#include "position.h"
#include "tap.h"

#define WAIT_MS		10000	/* bound on every wait */

struct link {
	int			fd;
	msgpack_unpacker	unp;
	msgpack_unpacked	res;
	struct msg_in		in;
};

struct child {
	pid_t		pid;
	struct link	sup;
	char		db[512];
	char		log[512];
	char		conf[512];
};

static char tmpdir[] = "/tmp/test_checkpointd.XXXXXX";

static void
link_init(struct link *l, int fd)
{
	l->fd = fd;
	msgpack_unpacker_init(&l->unp, 4096);
	msgpack_unpacked_init(&l->res);
}

static void
link_close(struct link *l)
{
	close(l->fd);
	msgpack_unpacked_destroy(&l->res);
	msgpack_unpacker_destroy(&l->unp);
}

/* Sends m, with pass_fd attached when it is not -1. */
static void
link_send(struct link *l, struct msg_out *m, int pass_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh;
	struct cmsghdr *c;
	struct iovec iov;
	size_t len;

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)(uintptr_t)msg_out_finish(m, &len);
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (pass_fd != -1) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	if (sendmsg(l->fd, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		printf("# sendmsg: %s\n", strerror(errno));
	msg_out_free(m);
}

/* The next message into l->in; -1 on EOF or after WAIT_MS. */
static int
link_recv(struct link *l)
{
	struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
	ssize_t n;

	while (msgpack_unpacker_next(&l->unp, &l->res) !=
	    MSGPACK_UNPACK_SUCCESS) {
		if (poll(&pfd, 1, WAIT_MS) != 1)
			return -1;
		msgpack_unpacker_reserve_buffer(&l->unp, 4096);
		n = read(l->fd, msgpack_unpacker_buffer(&l->unp),
		    msgpack_unpacker_buffer_capacity(&l->unp));
		if (n <= 0)
			return -1;
		msgpack_unpacker_buffer_consumed(&l->unp, (size_t)n);
	}
	return msg_in_parse(&l->in, &l->res.data);
}

/* Names the child's files in tmpdir after name: name.db, .log, .conf. */
static void
child_paths(struct child *c, const char *name)
{
	snprintf(c->db, sizeof(c->db), "%s/%s.db", tmpdir, name);
	snprintf(c->log, sizeof(c->log), "%s/%s.log", tmpdir, name);
	snprintf(c->conf, sizeof(c->conf), "%s/%s.conf", tmpdir, name);
}

/* Starts checkpointd on c's files, its config being [checkpoint] with
 * c's database and the line extra. */
static void
start(struct child *c, const char *extra)
{
	FILE *fp;
	int sv[2], logfd;

	if ((fp = fopen(c->conf, "w")) == NULL)
		exit(1);
	fprintf(fp, "[checkpoint]\ndatabase = %s\n%s\n", c->db, extra);
	fclose(fp);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    (c->pid = fork()) == -1)
		exit(1);
	if (c->pid == 0) {
		logfd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (logfd == -1 || dup2(sv[1], 3) == -1 || dup2(logfd, 2) == -1)
			_exit(127);
		execl(CKPTD_BIN, "binlogd-checkpointd", "-f", "-d", "-c",
		    c->conf, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	link_init(&c->sup, sv[0]);
}

/* The exit status, or -1 (and the child killed) after WAIT_MS. */
static int
wait_exit(struct child *c)
{
	int status, waited;

	for (waited = 0; waited < WAIT_MS; waited += 10) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			link_close(&c->sup);
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
		}
		poll(NULL, 0, 10);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	link_close(&c->sup);
	return -1;
}

static void
expect_ready(struct child *c)
{
	uint64_t protocol = 0, pid = 0;

	if (!CHECK(link_recv(&c->sup) == 0))
		return;
	CHECK_STR(msg_type_name(c->sup.in.type), "READY");
	msg_get_u64(&c->sup.in, "protocol", &protocol);
	msg_get_u64(&c->sup.in, "pid", &pid);
	CHECK_INT(msg_end(&c->sup.in), 0);
	CHECK_U64(protocol, MSG_PROTOCOL_VERSION);
	CHECK_U64(pid, (uint64_t)c->pid);
}

static void
send_empty(struct link *l, uint32_t type, uint32_t id, int pass_fd)
{
	struct msg_out m;

	msg_out_begin(&m, type, id);
	link_send(l, &m, pass_fd);
}

/* A new streamer link, handed over the way the supervisor does it. */
static void
attach(struct child *c, struct link *streamer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		exit(1);
	send_empty(&c->sup, MSG_CKPT_ATTACH, 1, sv[1]);
	close(sv[1]);
	link_init(streamer, sv[0]);
}

static void
make_position(struct position *p, int seed)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->gtid, sizeof(p->gtid), "0-1-%d", seed);
	snprintf(p->file, sizeof(p->file), "mariadb-bin.%06d", seed);
	p->offset = 1000 + (uint64_t)seed;
	p->server_id = 10 + (uint32_t)seed;
	snprintf(p->server_uuid, sizeof(p->server_uuid), "uuid-%d", seed);
	p->ts = 1700000000 + (uint64_t)seed;
	p->rows_done = (uint64_t)seed;
}

/* SAVE; returns the reply's committed flag, or -1. */
static int
save(struct link *s, const struct position *p, bool force, uint32_t id)
{
	struct msg_out m;
	bool committed = false;

	msg_out_begin(&m, MSG_CKPT_SAVE, id);
	position_put(&m, p);
	msg_put_bool(&m, "force", force);
	link_send(s, &m, -1);
	if (!CHECK(link_recv(s) == 0))
		return -1;
	CHECK_STR(msg_type_name(s->in.type), "CKPT_SAVED");
	CHECK_U64(s->in.id, id);
	msg_get_bool(&s->in, "committed", &committed);
	CHECK_INT(msg_end(&s->in), 0);
	return committed;
}

/* LOAD: the position (want, or none) and the versions in force, each a
 * CKPT_HISTORY of table db.t whose columns are one of columns[]. */
static void
expect_load_versions(struct link *s, const struct position *want,
    uint64_t nversions, const char *const *columns)
{
	struct position got;
	bool found = true;
	uint64_t gaps = 1, versions = 99, i;
	const char *last, *text = "";
	size_t len = 1;

	send_empty(s, MSG_CKPT_LOAD, 7, -1);
	if (!CHECK(link_recv(s) == 0))
		return;
	CHECK_STR(msg_type_name(s->in.type), "CKPT_POSITION");
	CHECK_U64(s->in.id, 7);
	msg_get_bool(&s->in, "found", &found);
	CHECK(found == (want != NULL));
	msg_get_u64(&s->in, "gaps", &gaps);
	msg_get_str(&s->in, "last_gap", &last, &len);
	msg_get_u64(&s->in, "versions", &versions);
	CHECK_U64(gaps, 0);
	CHECK_U64(len, 0);
	CHECK_U64(versions, nversions);
	if (want != NULL)
		position_get(&s->in, &got);
	CHECK_INT(msg_end(&s->in), 0);
	for (i = 0; i < versions && CHECK(link_recv(s) == 0); i++) {
		CHECK_STR(msg_type_name(s->in.type), "CKPT_HISTORY");
		msg_get_str(&s->in, "columns", &text, &len);
		CHECK(len == strlen(columns[i]) &&
		    memcmp(text, columns[i], len) == 0);
		msg_get_str(&s->in, "db", &text, &len);
		msg_get_str(&s->in, "table", &text, &len);
		CHECK(len == 1 && *text == 't');
		msg_get_str(&s->in, "kind", &text, &len);
		CHECK_INT(msg_end(&s->in), 0);
	}
	if (want == NULL)
		return;
	CHECK_STR(got.gtid, want->gtid);
	CHECK_STR(got.file, want->file);
	CHECK_U64(got.offset, want->offset);
	CHECK_U64(got.server_id, want->server_id);
	CHECK_STR(got.server_uuid, want->server_uuid);
	CHECK_U64(got.ts, want->ts);
	CHECK_U64(got.rows_done, want->rows_done);
}

static void
expect_load(struct link *s, const struct position *want)
{
	expect_load_versions(s, want, 0, NULL);
}

/* The binlog file of the saved position as SQLite reads it; "" if none. */
static const char *
db_file(const char *db)
{
	static char buf[POS_FILE_MAX];
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	buf[0] = '\0';
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT file FROM checkpoint", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return buf;
}

/* Polls until the saved file is want; what it last saw otherwise. */
static const char *
wait_db_file(const char *db, const char *want)
{
	const char *got = db_file(db);
	int waited;

	for (waited = 0; waited < WAIT_MS && strcmp(got, want) != 0;
	    waited += 10) {
		poll(NULL, 0, 10);
		got = db_file(db);
	}
	return got;
}

static bool
log_has(const struct child *c, const char *frag)
{
	char buf[16384];
	size_t n = 0;
	FILE *fp = fopen(c->log, "r");

	if (fp != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	if (strstr(buf, frag) != NULL)
		return true;
	printf("# %s does not contain \"%s\":\n%s", c->log, frag, buf);
	return false;
}

static void
test_save_coalesce_shutdown(void)
{
	struct child c;
	struct link s;
	struct position a, b, pc;
	char ready[600];

	make_position(&a, 1);
	make_position(&b, 2);
	make_position(&pc, 3);
	child_paths(&c, "basic");
	start(&c, "checkpoint_interval = 1h");
	expect_ready(&c);
	attach(&c, &s);
	expect_load(&s, NULL);
	CHECK_INT(save(&s, &a, false, 11), 0);
	CHECK_STR(db_file(c.db), "");			/* only pending */
	CHECK_INT(save(&s, &b, true, 12), 1);
	CHECK_STR(db_file(c.db), b.file);
	CHECK_INT(save(&s, &pc, false, 13), 0);
	CHECK_STR(db_file(c.db), b.file);
	link_close(&s);			/* streamer gone: commit pending */
	CHECK_STR(wait_db_file(c.db, pc.file), pc.file);
	attach(&c, &s);
	expect_load(&s, &pc);
	send_empty(&c.sup, MSG_SHUTDOWN, 2, -1);
	CHECK_INT(wait_exit(&c), BX_OK);
	link_close(&s);
	snprintf(ready, sizeof(ready), "ready: database %s, position none "
	    "saved yet", c.db);
	CHECK(log_has(&c, ready));

	/* A restart resumes where the last one stopped. */
	start(&c, "checkpoint_interval = 1h");
	expect_ready(&c);
	CHECK(log_has(&c, "position mariadb-bin.000003:1003 gtid 0-1-3"));
	attach(&c, &s);
	expect_load(&s, &pc);
	link_close(&s);
	send_empty(&c.sup, MSG_SHUTDOWN, 2, -1);
	CHECK_INT(wait_exit(&c), BX_OK);
}

/* A table version of db.t with these columns, valid from p. */
static void
send_version(struct link *s, const char *db, const char *columns,
    const struct position *p)
{
	struct version v = { .offset = p->offset };
	char statement[] = "ALTER TABLE t ...", gtid[] = "0-1-1";
	struct msg_out m;

	snprintf(v.db, sizeof(v.db), "%s", db);
	snprintf(v.table, sizeof(v.table), "t");
	snprintf(v.kind, sizeof(v.kind), "table");
	snprintf(v.source, sizeof(v.source), "ddl");
	snprintf(v.file, sizeof(v.file), "%s", p->file);
	v.columns = strdup(columns);
	v.statement = statement;
	v.gtid = gtid;
	if (v.columns == NULL)
		abort();
	msg_out_begin(&m, MSG_CKPT_VERSION, 40);
	version_put(&m, &v);
	link_send(s, &m, -1);
	free(v.columns);
}

static int
db_versions(const char *db)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT count(*) FROM schema_history", -1,
	    &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/*
 * A table version reaches the disk only with the SAVE after it, in its
 * transaction; one whose SAVE never came (the streamer died) is dropped;
 * a new streamer gets each table's newest version after its position.
 */
static void
test_versions(void)
{
	static const char *const one[] = { "charset utf8mb4\nid\t3\tk\t"
	    "binary\n" }, *const two[] = { "charset utf8mb4\nid\t3\tk\t"
	    "binary\nb\t8\t-\tbinary\n", "charset latin1\n" };
	struct child c;
	struct link s;
	struct position a, b;

	make_position(&a, 7);
	make_position(&b, 8);
	child_paths(&c, "versions");
	start(&c, "checkpoint_interval = 1h");
	expect_ready(&c);
	attach(&c, &s);
	expect_load(&s, NULL);
	send_version(&s, "d", one[0], &a);
	CHECK_INT(save(&s, &a, false, 11), 0);
	CHECK_INT(db_versions(c.db), 0);		/* pending with a */
	CHECK_INT(save(&s, &a, true, 12), 1);
	CHECK_INT(db_versions(c.db), 1);
	send_version(&s, "d", two[0], &b);		/* no SAVE follows */
	link_close(&s);
	attach(&c, &s);
	expect_load_versions(&s, &a, 1, one);
	send_version(&s, "d", two[0], &b);
	send_version(&s, "e", two[1], &b);
	CHECK_INT(save(&s, &b, true, 13), 1);
	CHECK_INT(db_versions(c.db), 3);
	link_close(&s);
	attach(&c, &s);
	expect_load_versions(&s, &b, 2, two);
	link_close(&s);
	send_empty(&c.sup, MSG_SHUTDOWN, 2, -1);
	CHECK_INT(wait_exit(&c), BX_OK);
}

static void
test_interval_timer(void)
{
	struct child c;
	struct link s;
	struct position a;

	make_position(&a, 4);
	child_paths(&c, "timer");
	start(&c, "checkpoint_interval = 100ms");
	expect_ready(&c);
	attach(&c, &s);
	CHECK_INT(save(&s, &a, false, 1), 0);
	CHECK_STR(wait_db_file(c.db, a.file), a.file);
	link_close(&s);
	kill(c.pid, SIGTERM);
	CHECK_INT(wait_exit(&c), BX_OK);
}

/*
 * Every way out commits what is pending, and first waits for the attached
 * streamer's final position: SIGTERM and the supervisor's EOF reach both
 * children at once when the supervisor dies.
 */
static void
check_exit_commits(const char *name, int how, int want_code)
{
	struct child c;
	struct link s;
	struct position a, b;

	make_position(&a, 5);
	make_position(&b, 6);
	child_paths(&c, name);
	start(&c, "checkpoint_interval = 1h");
	expect_ready(&c);
	attach(&c, &s);
	CHECK_INT(save(&s, &a, false, 1), 0);
	if (how == SIGTERM)
		kill(c.pid, SIGTERM);
	else
		shutdown(c.sup.fd, SHUT_RDWR);	/* the supervisor died */
	CHECK_INT(save(&s, &b, true, 2), 1);	/* the final position */
	link_close(&s);
	CHECK_INT(wait_exit(&c), want_code);
	CHECK_STR(db_file(c.db), b.file);
}

static void
test_sigterm_commits(void)
{
	check_exit_commits("sigterm", SIGTERM, BX_OK);
}

static void
test_parent_eof_commits(void)
{
	check_exit_commits("orphan", 0, BX_PEER_LOST);
}

static void
test_corrupt_database(void)
{
	struct child c;
	FILE *fp;

	child_paths(&c, "corrupt");
	if ((fp = fopen(c.db, "w")) == NULL)
		exit(1);
	fputs("this is not an SQLite database\n", fp);
	fclose(fp);
	start(&c, "");
	CHECK(link_recv(&c.sup) == -1);		/* no READY */
	CHECK_INT(wait_exit(&c), BX_STORE);
	CHECK(log_has(&c, c.db));
	CHECK(log_has(&c, "move it away"));
}

static void
test_bad_config(void)
{
	struct child c;

	child_paths(&c, "badconf");
	start(&c, "checkpoint_intervall = 1s");
	CHECK_INT(wait_exit(&c), BX_CONFIG);
	CHECK(log_has(&c, "checkpoint_intervall"));
}

/* A commit that cannot be written: the streamer is told, checkpointd exits
 * BX_STORE, and the last committed position is what stays on disk. */
static void
test_commit_failure(void)
{
	struct child c;
	struct link s;
	struct position a, b;
	struct msg_out m;
	struct rlimit tiny = { 1, RLIM_INFINITY };
	const char *error = "";
	size_t len;

	make_position(&a, 6);
	make_position(&b, 7);
	child_paths(&c, "full");
	start(&c, "checkpoint_interval = 1h");
	expect_ready(&c);
	attach(&c, &s);
	CHECK_INT(save(&s, &a, true, 1), 1);
	getrlimit(RLIMIT_FSIZE, &tiny);
	tiny.rlim_cur = 1;
	if (!CHECK(prlimit(c.pid, RLIMIT_FSIZE, &tiny, NULL) == 0))
		printf("# prlimit: %s\n", strerror(errno));
	msg_out_begin(&m, MSG_CKPT_SAVE, 2);
	position_put(&m, &b);
	msg_put_bool(&m, "force", true);
	link_send(&s, &m, -1);
	if (CHECK(link_recv(&s) == 0)) {
		CHECK_STR(msg_type_name(s.in.type), "CKPT_FAILED");
		msg_get_str(&s.in, "error", &error, &len);
		CHECK_INT(msg_end(&s.in), 0);
		CHECK_HAS(error, c.db);
	}
	CHECK_INT(wait_exit(&c), BX_STORE);
	CHECK_STR(db_file(c.db), a.file);
	link_close(&s);
}

static void
test_malformed_save(void)
{
	struct child c;
	struct link s;
	struct msg_out m;

	child_paths(&c, "malformed");
	start(&c, "checkpoint_interval = 1h");
	expect_ready(&c);
	attach(&c, &s);
	msg_out_begin(&m, MSG_CKPT_SAVE, 1);
	msg_put_str(&m, "file", "mariadb-bin.000001");	/* nothing else */
	link_send(&s, &m, -1);
	CHECK_INT(wait_exit(&c), BX_FAILURE);
	CHECK(log_has(&c, "streamer sent a malformed or unexpected "
	    "CKPT_SAVE"));
	CHECK_STR(db_file(c.db), "");
	link_close(&s);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_save_coalesce_shutdown);
	RUN(test_interval_timer);
	RUN(test_versions);
	RUN(test_sigterm_commits);
	RUN(test_parent_eof_commits);
	RUN(test_corrupt_database);
	RUN(test_bad_config);
	RUN(test_commit_failure);
	RUN(test_malformed_save);
	if (tap_fails == 0) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	} else
		printf("# files kept in %s\n", tmpdir);
	return tap_done();
}
