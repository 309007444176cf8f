/* kafka_dr_log.c: an LD_PRELOAD shim for bench/run -S -K that tells when
 * each Kafka message became durable, seen at librdkafka's boundary rather
 * than taken from binlogd's word: every successful delivery report (with
 * binlogd's acks=all, every in-sync replica has the message) appends to
 * $KAFKA_DR_LOG the line
 *
 *   end_us queued_us value
 *
 * end_us is CLOCK_REALTIME in microseconds, the clock MariaDB's NOW(6)
 * reads, as librdkafka hands the report to binlogd; queued_us how long
 * before that binlogd produced the message (rd_kafka_message_latency);
 * value is the message, one JSON record.  Tombstones (no value) are not
 * logged.  The lines are buffered and written each time rd_kafka_poll
 * returns with reports, so that a quiet stream's last ones reach the file
 * too.
 *
 *   cc -shared -fPIC -O2 -o kafka_dr_log.so bench/kafka_dr_log.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

typedef void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *);

static dr_msg_cb	 dr_log_app_cb;
static FILE		*dr_log;

__attribute__((constructor)) static void
dr_log_open(void)
{
	const char *path = getenv("KAFKA_DR_LOG");

	if (path != NULL && (dr_log = fopen(path, "ae")) != NULL)
		setvbuf(dr_log, NULL, _IOFBF, 1 << 20);
}

static void
dr_log_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct timespec ts;

	if (dr_log != NULL && m->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    m->payload != NULL) {
		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(dr_log, "%lld %lld %.*s\n", (long long)ts.tv_sec *
		    1000000 + ts.tv_nsec / 1000,
		    (long long)rd_kafka_message_latency(m), (int)m->len,
		    (const char *)m->payload);
	}
	dr_log_app_cb(rk, m, opaque);
}

void
rd_kafka_conf_set_dr_msg_cb(rd_kafka_conf_t *conf, dr_msg_cb cb)
{
	void (*real)(rd_kafka_conf_t *, dr_msg_cb) =
	    (void (*)(rd_kafka_conf_t *, dr_msg_cb))dlsym(RTLD_NEXT,
	    "rd_kafka_conf_set_dr_msg_cb");

	dr_log_app_cb = cb;
	real(conf, dr_log_cb);
}

int
rd_kafka_poll(rd_kafka_t *rk, int timeout_ms)
{
	static int (*real)(rd_kafka_t *, int);
	int n;

	if (real == NULL)
		real = (int (*)(rd_kafka_t *, int))dlsym(RTLD_NEXT,
		    "rd_kafka_poll");
	n = real(rk, timeout_ms);
	if (n > 0 && dr_log != NULL)
		fflush(dr_log);
	return n;
}
