/* config.h: the binlogd.conf configuration, parsed the same way by every
 * process.  The option table in config.c is the one list of options.
 * (autoconf's generated header is build.h, not this file.) */
#ifndef BINLOGD_CONFIG_H
#define BINLOGD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* SYSCONFDIR "/binlogd.conf", compiled into common/ from configure. */
extern const char config_default_path[];
#define CONF_DEFAULT_PATH	config_default_path
#define CONF_STR_MAX		1024
/* The largest configuration file: binlogd hands the text it accepted to its
 * helpers in one message (MSG_CONFIG, below MSG_MAX_SIZE). */
#define CONF_FILE_MAX		(128 * 1024)

enum start_kind {
	START_LATEST,
	START_EARLIEST,
	START_FILE_POS,		/* start_file, start_offset */
	START_GTID,		/* start_gtid */
};

enum gtid_use {
	GTID_USE_AUTO,		/* GTID resume when the checkpoint has a set */
	GTID_USE_ON,
	GTID_USE_OFF,
};

struct config {
	const char	*path;

	/* [daemon] */
	char		 pid_file[CONF_STR_MAX];
	char		 control_socket[CONF_STR_MAX];
	char		 run_user[CONF_STR_MAX];
	char		 metrics_listen[CONF_STR_MAX];	/* "" = off */
	double		 restart_backoff_max;	/* seconds */
	double		 restart_backoff_reset;	/* healthy this long: reset */
	double		 ready_timeout;
	double		 stop_timeout;		/* SIGTERM -> SIGKILL */

	/* [server] */
	char		 host[CONF_STR_MAX];
	unsigned	 port;
	char		 socket[CONF_STR_MAX];
	char		 user[CONF_STR_MAX];
	char		 password[CONF_STR_MAX];
	char		 password_file[CONF_STR_MAX];
	uint32_t	 replica_server_id;
	double		 connect_timeout;
	double		 read_timeout;
	double		 heartbeat_period;
	char		 ssl_mode[32];		/* disabled|preferred|required|verify_ca|verify_identity */
	char		 ssl_ca[CONF_STR_MAX];
	char		 ssl_capath[CONF_STR_MAX];
	char		 ssl_cert[CONF_STR_MAX];
	char		 ssl_key[CONF_STR_MAX];
	char		 ssl_cipher[CONF_STR_MAX];

	/* [stream] */
	enum start_kind	 start_kind;
	char		 start_position[CONF_STR_MAX];	/* as written */
	char		 start_file[CONF_STR_MAX];
	uint64_t	 start_offset;
	char		 start_gtid[CONF_STR_MAX];
	enum gtid_use	 gtid;
	char		 on_purged[16];	/* fail|earliest|latest */
	char		 sink[32];		/* stdout|file|kafka */
	char		 format[32];		/* maxwell|debezium */
	char		 server_name[128];	/* debezium source.name */
	char		 snapshot[16];	/* never|initial|when_needed */
	unsigned	 snapshot_chunk_size;	/* rows per SELECT */
	char		 snapshot_watermark_table[CONF_STR_MAX]; /* db.table */
	char		 spill_dir[CONF_STR_MAX];	/* "": database's directory */
	unsigned	 decode_threads;	/* rows events formatted by 1 or 2 */

	/* [sink] */
	char		 sink_path[CONF_STR_MAX];
	char		 sink_fsync[8];		/* yes|no */
	char		 kafka_brokers[CONF_STR_MAX];
	char		 kafka_topic[CONF_STR_MAX];	/* %{database} %{table} */
	char		 kafka_tombstones[8];	/* yes|no */
	char		 on_oversize[8];	/* fail|skip */
	char		 kafka_props[8192];	/* kafka.* lines: "name=value\n" */

	/* [filter] */
	char		 filter_include[CONF_STR_MAX];	/* db.table globs */
	char		 filter_exclude[CONF_STR_MAX];
	char		 filter_events[CONF_STR_MAX];	/* insert,update,... */
	char		 filter_drop_columns[CONF_STR_MAX]; /* db.table.column */

	/* [checkpoint] */
	char		 database[CONF_STR_MAX];
	double		 checkpoint_interval;
};

/*
 * Parse path into conf (defaults first).  On error returns -1 and leaves a
 * "file:line: message" in err.  Never exits.
 */
int	config_load(struct config *conf, const char *path, char *err,
	    size_t errlen);
/* config_load in two steps.  config_read_file reads a regular file of at
 * most CONF_FILE_MAX bytes into *text (malloc'd, NUL-terminated); a
 * directory, a device or a larger file is an error.  config_parse parses
 * len bytes of text read from path; a NUL byte is an error. */
int	config_read_file(const char *path, char **text, size_t *len,
	    char *err, size_t errlen);
int	config_parse(struct config *conf, const char *path, const char *text,
	    size_t len, char *err, size_t errlen);
/* metrics_listen: "port" (127.0.0.1), "host:port" or "[v6]:port" into host
 * and port; -1 when malformed or the port is not 1 to 65535. */
int	config_parse_listen(const char *spec, char *host, size_t size,
	    unsigned *port);
void	config_defaults(struct config *conf);
/* Parses a start_position value (latest, earliest, file:offset, GTID set)
 * into conf's start_kind and start_file/start_offset or start_gtid; -1 with
 * err on failure.  binlogctl set-position uses it too. */
int	config_parse_start(struct config *conf, const char *v, char *err,
	    size_t errlen);
/* One string option of path (its default when the file does not set it),
 * ignoring everything else in the file, even errors: binlogctl needs only
 * control_socket.  -1 with err when the file cannot be read. */
int	config_get(const char *path, const char *section, const char *name,
	    char *buf, size_t size, char *err, size_t errlen);
/* Reads the first line of password_file into password when set; -1 with
 * err when it cannot be read or the line is empty or too long. */
int	config_read_password(struct config *conf, char *err, size_t errlen);

#endif
