/* test_config.c: the configuration parser on real files: the shipped
 * sample, defaults, every kind of error with its file:line, durations,
 * start positions and password_file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char	 dir[64];
static char	 path[128];
static struct config conf;
static char	 err[2048];

/* Writes text to a file in the test's directory. */
static const char *
write_file(const char *name, const char *text)
{
	static char	 p[128];
	FILE		*fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fp = fopen(p, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(p);
		exit(2);
	}
	return p;
}

static int
load(const char *text)
{
	snprintf(path, sizeof(path), "%s", write_file("binlogd.conf", text));
	err[0] = '\0';
	return config_load(&conf, path, err, sizeof(err));
}

/* Loads text and expects "file:line: " followed by a message holding frag. */
static void
fails_at(const char *text, int line, const char *frag)
{
	char want[256];

	if (!CHECK_INT(load(text), -1)) {
		printf("#   accepted: \"%s\"\n", text);
		return;
	}
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	if (!CHECK(strncmp(err, want, strlen(want)) == 0))
		printf("#   error \"%s\" does not start with \"%s\"\n", err,
		    want);
	CHECK_HAS(err, frag);
}

static int
loads(const char *text)
{
	if (CHECK_INT(load(text), 0))
		return 1;
	printf("#   error: %s\n", err);
	return 0;
}

/* The sample's section headers, the lines setting paths a packager
 * chooses, whose defaults depend on ./configure, and its file sink. */
static const char *
sample_paths(void)
{
	static char	 text[4096];
	char		 line[1024];
	FILE		*fp;

	text[0] = '\0';
	if ((fp = fopen(TOP_SRCDIR "/binlogd.conf.sample", "r")) == NULL)
		return text;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (line[0] == '[' || strncmp(line, "pid_file", 8) == 0 ||
		    strncmp(line, "control_socket", 14) == 0 ||
		    strncmp(line, "database", 8) == 0 ||
		    strncmp(line, "sink ", 5) == 0 ||
		    strncmp(line, "path ", 5) == 0)
			strncat(text, line, sizeof(text) - strlen(text) - 1);
	fclose(fp);
	return text;
}

/* The sample documents each option with its default: loading it gives
 * what the defaults give, once the packager's paths are the same. */
static void
test_sample(void)
{
	struct config sample;

	if (!CHECK_INT(config_load(&sample, TOP_SRCDIR "/binlogd.conf.sample",
	    err, sizeof(err)), 0))
		printf("#   error: %s\n", err);
	CHECK_STR(sample.host, "127.0.0.1");
	CHECK_INT(sample.port, 3306);
	CHECK_STR(sample.user, "binlogd");
	CHECK_INT(sample.replica_server_id, 4242);
	CHECK_STR(sample.pid_file, "/run/binlogd/binlogd.pid");
	CHECK_STR(sample.control_socket, "/run/binlogd/binlogd.sock");
	CHECK_STR(sample.database, "/var/lib/binlogd/checkpoint.db");
	CHECK_STR(sample.path, TOP_SRCDIR "/binlogd.conf.sample");
	if (!loads(sample_paths()))
		return;
	conf.path = sample.path;
	CHECK(memcmp(&sample, &conf, sizeof(conf)) == 0);
}

static void
test_defaults(void)
{
	if (!loads("[server]\nhost = db1.example.com\n"))
		return;
	CHECK_STR(conf.host, "db1.example.com");
	CHECK_INT(conf.port, 3306);
	CHECK_STR(conf.user, "binlogd");
	CHECK_STR(conf.password, "");
	CHECK_INT(conf.replica_server_id, 4242);
	CHECK(conf.connect_timeout == 10.0);
	CHECK(conf.read_timeout == 30.0);
	CHECK(conf.heartbeat_period == 10.0);
	CHECK_STR(conf.ssl_mode, "preferred");
	CHECK_INT(conf.start_kind, START_LATEST);
	CHECK_STR(conf.start_position, "latest");
	CHECK_INT(conf.gtid, GTID_USE_AUTO);
	CHECK_STR(conf.sink, "stdout");
	CHECK_STR(conf.format, "maxwell");
	CHECK(conf.checkpoint_interval == 1.0);
	CHECK(conf.restart_backoff_max == 60.0);
	CHECK(conf.restart_backoff_reset == 60.0);
	CHECK(conf.ready_timeout == 60.0);
	CHECK(conf.stop_timeout == 30.0);
	CHECK(conf.database[0] == '/');
	CHECK(conf.pid_file[0] == '/');
}

static void
test_syntax(void)
{
	if (loads("# comment\n\n  ; also a comment\n[ server ]\n"
	    "  port=3307   # the port\npassword = a#b\n"
	    "[stream]\nsink=stdout\n")) {
		CHECK_INT(conf.port, 3307);
		CHECK_STR(conf.password, "a#b");
	}
	if (loads("[server]\nuser = \nssl_mode = verify_identity\n")) {
		CHECK_STR(conf.user, "");
		CHECK_STR(conf.ssl_mode, "verify_identity");
	}
}

static void
test_errors(void)
{
	fails_at("[server]\nhost = x\n\n[sever]\n", 4, "unknown section [sever]");
	fails_at("[server\n", 1, "malformed section header");
	fails_at("[server]\nhots = x\n", 2,
	    "unknown option \"hots\" in [server]; did you mean \"host\"?");
	fails_at("[server]\nfrobnicate = 1\n", 2,
	    "unknown option \"frobnicate\" in [server]");
	fails_at("[stream]\nhost = x\n", 2, "unknown option \"host\" in [stream]");
	fails_at("# top\nhost = x\n", 2, "option \"host\" outside of a [section]");
	fails_at("[server]\nhost = x\nport\n", 3, "expected \"name = value\"");
	fails_at("[server]\nreplica_server_id = 12x\n", 2,
	    "replica_server_id must be an integer");
	fails_at("[server]\nreplica_server_id = 4294967296\n", 2,
	    "replica_server_id must be an integer from 1 to 4294967295");
	fails_at("[server]\nport = 65536\n", 2,
	    "port must be an integer from 1 to 65535, not \"65536\"");
	fails_at("[server]\nport = 0\n", 2, "port must be an integer");
	fails_at("[server]\nport = -1\n", 2, "port must be an integer");
	fails_at("[server]\nport =\n", 2, "port must be an integer");
	fails_at("[server]\nport = 99999999999999999999999\n", 2,
	    "port must be an integer");
	fails_at("[server]\nread_timeout = fast\n", 2,
	    "read_timeout must be a duration");
	fails_at("[server]\nread_timeout = 5 parsecs\n", 2,
	    "read_timeout must be a duration");
	fails_at("[server]\nread_timeout = -1s\n", 2,
	    "read_timeout must be a duration");
	fails_at("[server]\nconnect_timeout = 10ms\n", 2,
	    "connect_timeout must be a duration");
	fails_at("[server]\nssl_mode = maybe\n", 2, "ssl_mode must be one of");
	fails_at("[stream]\ngtid = yes\n", 2, "gtid must be auto, on or off");
	fails_at("[server]\nport = 1\n\nport = 2\n", 4,
	    "option \"port\" in [server] is set twice");
	fails_at("[daemon]\nmetrics_listen = abc\n", 2,
	    "metrics_listen must be a port");
	fails_at("[daemon]\nmetrics_listen = 99999\n", 2,
	    "metrics_listen must be a port");
	fails_at("[daemon]\nmetrics_listen = [::1]:\n", 2,
	    "metrics_listen must be a port");
}

/* What is not a configuration file at all. */
static void
test_not_a_file(void)
{
	char text[] = "[server]\nhost = a\0b\n";

	if (CHECK_INT(config_parse(&conf, "t.conf", text, sizeof(text) - 1,
	    err, sizeof(err)), -1))
		CHECK_HAS(err, "t.conf:2: a NUL byte");
	CHECK_INT(config_load(&conf, dir, err, sizeof(err)), -1);
	CHECK_HAS(err, "is a directory, not a configuration file");
	CHECK_INT(config_load(&conf, "/dev/null", err, sizeof(err)), -1);
	CHECK_HAS(err, "not a regular file");
	if (loads("[daemon]\nmetrics_listen = [::1]:9100\n"))
		CHECK_STR(conf.metrics_listen, "[::1]:9100");
}

static void
test_bad_start_position(void)
{
	fails_at("[stream]\nstart_position = sometime\n", 2,
	    "start_position \"sometime\" is not latest, earliest, file:offset "
	    "or a GTID set");
	fails_at("[stream]\nstart_position = 0-1-x\n", 2, "at character 5");
	fails_at("[stream]\nstart_position = mariadb-bin.000003:\n", 2,
	    "start_position");
	fails_at("[stream]\nstart_position = mariadb-bin.000003:4x\n", 2,
	    "start_position");
	fails_at("[stream]\nstart_position =\n", 2, "start_position");
}

/* A binlog file name as long as the servers take (511 bytes: under
 * FN_REFLEN), and one byte longer, which a server would answer by
 * dropping the connection. */
static void
test_long_start_file(void)
{
	char text[700], name[600];

	memset(name, 'b', sizeof(name));
	name[511] = '\0';
	snprintf(text, sizeof(text), "[stream]\nstart_position = %s:4\n",
	    name);
	if (loads(text))
		CHECK_INT((int)strlen(conf.start_file), 511);
	name[511] = 'b';
	name[512] = '\0';
	snprintf(text, sizeof(text), "[stream]\nstart_position = %s:4\n",
	    name);
	fails_at(text, 2, "the binlog file name is 512 bytes long; a "
	    "server's are 511 at most");
}

static void
test_start_position(void)
{
	if (loads("[stream]\nstart_position = earliest\n"))
		CHECK_INT(conf.start_kind, START_EARLIEST);
	if (loads("[stream]\nstart_position = mariadb-bin.000003:4\n")) {
		CHECK_INT(conf.start_kind, START_FILE_POS);
		CHECK_STR(conf.start_file, "mariadb-bin.000003");
		CHECK_U64(conf.start_offset, 4);
	}
	if (loads("[stream]\nstart_position = 0-1-100,1-2-7\n")) {
		CHECK_INT(conf.start_kind, START_GTID);
		CHECK_STR(conf.start_gtid, "0-1-100,1-2-7");
	}
	/* the sample's own example */
	if (loads("[stream]\nstart_position = "
	    "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5\n")) {
		CHECK_INT(conf.start_kind, START_GTID);
		CHECK_STR(conf.start_position,
		    "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5");
	}
	/* one MySQL GTID looks like file:offset but is a GTID set */
	if (loads("[stream]\nstart_position = "
	    "3e11fa47-71ca-11e1-9e33-c80aa9429562:5\n")) {
		CHECK_INT(conf.start_kind, START_GTID);
		CHECK_STR(conf.start_gtid, "3e11fa47-71ca-11e1-9e33-c80aa9429562:5");
	}
}

static void
test_durations(void)
{
	static const struct {
		const char	*text;
		double		 seconds;
	} cases[] = {
		{ "500ms", 0.5 }, { "2s", 2 }, { "1m", 60 }, { "1.5", 1.5 },
		{ "1h", 3600 }, { "0", 0 }, { "250", 250 },
	};
	char	text[128];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[checkpoint]\n"
		    "checkpoint_interval = %s\n", cases[i].text);
		if (!loads(text))
			continue;
		if (!CHECK(conf.checkpoint_interval == cases[i].seconds))
			printf("#   \"%s\" gave %g, want %g\n", cases[i].text,
			    conf.checkpoint_interval, cases[i].seconds);
	}
}

/* Rules across options, reported against the file. */
static void
test_checks(void)
{
	CHECK_INT(load("[server]\nheartbeat_period = 30s\nread_timeout = 30s\n"),
	    -1);
	CHECK_HAS(err, "heartbeat_period");
	CHECK_INT(load("[server]\npassword = x\npassword_file = /p\n"), -1);
	CHECK_HAS(err, "both password and password_file");
	if (loads("[stream]\nsnapshot = initial\n"))
		CHECK_STR(conf.snapshot, "initial");
	if (loads("[stream]\nsnapshot = when_needed\n"))
		CHECK_STR(conf.snapshot, "when_needed");
	CHECK_INT(load("[stream]\nsnapshot_chunk_size = 0\n"), -1);
	CHECK_INT(config_load(&conf, "/nonexistent/binlogd.conf", err,
	    sizeof(err)), -1);
	CHECK_HAS(err, "/nonexistent/binlogd.conf: ");
	CHECK_HAS(err, strerror(ENOENT));
}

static void
test_password_file(void)
{
	char text[256];

	snprintf(text, sizeof(text), "[server]\npassword_file = %s\n",
	    write_file("pw", "s3cr#t pass\r\n"));
	if (loads(text)) {
		CHECK_STR(conf.password, "");
		CHECK_INT(config_read_password(&conf, err, sizeof(err)), 0);
		CHECK_STR(conf.password, "s3cr#t pass");
	}
	/* The first line only, as binlogd.conf(5) says. */
	snprintf(text, sizeof(text), "[server]\npassword_file = %s\n",
	    write_file("pw", "first\nsecond\n"));
	if (loads(text)) {
		CHECK_INT(config_read_password(&conf, err, sizeof(err)), 0);
		CHECK_STR(conf.password, "first");
	}
	snprintf(text, sizeof(text), "[server]\npassword_file = %s\n",
	    write_file("pw", "\nsecond\n"));
	if (loads(text)) {
		CHECK_INT(config_read_password(&conf, err, sizeof(err)), -1);
		CHECK_HAS(err, "the first line is empty");
	}
	snprintf(text, sizeof(text), "[server]\npassword_file = %s\n", dir);
	if (loads(text)) {
		CHECK_INT(config_read_password(&conf, err, sizeof(err)), -1);
		CHECK_HAS(err, "is a directory");
	}
	snprintf(text, sizeof(text), "[server]\npassword_file = %s/missing\n",
	    dir);
	if (loads(text)) {
		CHECK_INT(config_read_password(&conf, err, sizeof(err)), -1);
		CHECK_HAS(err, "missing");
		CHECK_HAS(err, strerror(ENOENT));
	}
	if (loads("[server]\npassword = inline\n")) {
		CHECK_INT(config_read_password(&conf, err, sizeof(err)), 0);
		CHECK_STR(conf.password, "inline");
	}
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	int		 rc;

	snprintf(dir, sizeof(dir), "%s/test_config.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 2;
	}
	RUN(test_sample);
	RUN(test_defaults);
	RUN(test_syntax);
	RUN(test_errors);
	RUN(test_not_a_file);
	RUN(test_bad_start_position);
	RUN(test_long_start_file);
	RUN(test_start_position);
	RUN(test_durations);
	RUN(test_checks);
	RUN(test_password_file);
	rc = tap_done();
	unlink(write_file("binlogd.conf", ""));
	unlink(write_file("pw", ""));
	rmdir(dir);
	return rc;
}
