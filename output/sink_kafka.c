/* sink_kafka.c: one Kafka message per record, with librdkafka -- topic
 * from a template, key = the row's primary key as JSON, idempotent
 * producer with acks=all.  A transaction's position is reported only
 * after every message of it and of the transactions before it has a
 * successful delivery report; a failed delivery stops all reporting and
 * the streamer, whose restart resends from the last reported position. */
#include "build.h"

#include <errno.h>
#ifdef HAVE_MALLOPT
#include <malloc.h>
#endif
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "util.h"

#define KAFKA_RING	4096	/* transactions awaiting delivery reports */
/*
 * Of which this many keep their position (8 KiB and more of GTID set):
 * the streamer keeps only the newest position it is handed, so a
 * transaction committed while all are taken takes the one of the
 * transaction before it, which is then reported with it.  The newest
 * committed transaction always has one.
 */
#define KAFKA_POS	16
_Static_assert(KAFKA_POS <= 32, "pos_used has a bit per position");
#define KAFKA_TOPIC_MAX	250

/* A transaction whose messages are out: its position (if it kept one)
 * goes to the streamer when none of them is awaiting a report and it is
 * the oldest. */
struct kafka_trx {
	uint64_t	 remaining;
	int		 pos;		/* in sink_kafka's pos[], or -1 */
	bool		 force;
	bool		 committed;
};

struct sink_kafka {
	rd_kafka_t	*rk;
	pthread_t	 poller;
	volatile int	 stop;
	pthread_mutex_t	 mu;
	pthread_cond_t	 room;		/* a report came: queue or ring room */
	_Atomic uint64_t reports;	/* ... counted */
	_Atomic bool	 writing;	/* a transaction is open: see kafka_poll */
	struct kafka_trx ring[KAFKA_RING];
	size_t		 head, count;	/* oldest; in use (last may be open) */
	struct position	 pos[KAFKA_POS];
	uint32_t	 pos_used;	/* a bit per pos[] */
	bool		 open;		/* ring[head + count - 1] takes msgs */
	bool		 failed;
	char		 why[512];
	int		 code;		/* the exit status why calls for */
	char		 topic[KAFKA_TOPIC_MAX + 1];
	rd_kafka_topic_t *last;		/* of the last message */
	char		 last_db[65], last_table[65];	/* ... and its table */
	rd_kafka_topic_t **seen;	/* every topic written to */
	size_t		 nseen;
	char		 max_bytes[32];	/* the producer's message.max.bytes */
};

/* Reports, oldest first, every transaction that is fully delivered. */
static void
kafka_drain(struct sink *s, struct sink_kafka *k)
{
	struct kafka_trx *t;

	while (!k->failed && k->count > 0) {
		t = &k->ring[k->head];
		if (!t->committed || t->remaining > 0)
			return;
		if (t->pos != -1) {
			sink_durable(s, &k->pos[t->pos], t->force);
			k->pos_used &= ~(1u << t->pos);
		}
		k->head = (k->head + 1) % KAFKA_RING;
		k->count--;
	}
}

/*
 * Why a delivery failed.  A broker that refuses a message as too large
 * has a lower limit than the producer's (the topic's max.message.bytes):
 * a restart would send the same message again, so the stream stops with
 * BX_OVERSIZE, which the supervisor holds, as for on_oversize = fail.
 */
static void
kafka_why_dr(struct sink_kafka *k, const rd_kafka_message_t *m)
{
	if (m->err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
		snprintf(k->why, sizeof(k->why), "delivery to topic %s failed: "
		    "%s; no later position is reported, the restart sends "
		    "again from the last one", rd_kafka_topic_name(m->rkt),
		    rd_kafka_err2str(m->err));
		return;
	}
	k->code = BX_OVERSIZE;
	snprintf(k->why, sizeof(k->why), "oversize: the broker refused a "
	    "message of %zu bytes for topic %s, key %.*s, as too large (the "
	    "topic's max.message.bytes is below the producer's "
	    "message.max.bytes = %s): raise the topic's max.message.bytes, "
	    "lower [sink] kafka.message.max.bytes to it (then on_oversize "
	    "applies) or drop the column ([filter] drop_columns)", m->len,
	    rd_kafka_topic_name(m->rkt),
	    m->key != NULL ? (int)(m->key_len > 60 ? 60 : m->key_len) : 4,
	    m->key != NULL ? (const char *)m->key : "none", k->max_bytes);
}

static void
kafka_dr(rd_kafka_t *rk UNUSED, const rd_kafka_message_t *m, void *arg)
{
	struct sink *s = arg;
	struct sink_kafka *k = s->priv;
	size_t slot = (size_t)(uintptr_t)m->_private;

	pthread_mutex_lock(&k->mu);
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (!k->failed) {
			kafka_why_dr(k, m);
			if (s->owner->failed != NULL)
				s->owner->failed(s->owner->arg, "kafka",
				    k->code, k->why);
		}
		k->failed = true;
	} else
		k->ring[slot].remaining--;
	kafka_drain(s, k);
	atomic_fetch_add(&k->reports, 1);
	pthread_cond_broadcast(&k->room);
	pthread_mutex_unlock(&k->mu);
}

static void
kafka_error(rd_kafka_t *rk, int err, const char *reason, void *arg)
{
	struct sink *s = arg;
	struct sink_kafka *k = s->priv;
	char fatal[256];

	if (err != RD_KAFKA_RESP_ERR__FATAL) {
		log_errx("kafka: %s", reason);
		return;
	}
	rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
	pthread_mutex_lock(&k->mu);
	if (!k->failed)
		snprintf(k->why, sizeof(k->why), "producer failed: %s", fatal);
	k->failed = true;
	pthread_mutex_unlock(&k->mu);
}

/*
 * Each librdkafka thread, as it starts: SCHED_OTHER, whatever the
 * process's policy.  A broker thread of librdkafka 2.0's idempotent
 * producer polls without sleeping while a partition's next batch waits
 * for the reply to the one in flight (rd_kafka_toppar_producer_serve);
 * under SCHED_FIFO or SCHED_RR, inherited from the streamer, that spin
 * would keep its CPU from every thread of the same priority -- the
 * server's, in `chrt -f` runs, fell from ~3,700 to 80-535
 * transactions/s.  So these wait behind the machine's real-time tasks
 * under chrt: a thread that spins must not be real-time.  Not
 * SCHED_BATCH, as they once were: a batch thread woken does not preempt
 * the running one, and every delivery's round trip waits on these
 * threads' wake-ups (bench/run -K, 300,000 rows: 10-20 % less wall time
 * as SCHED_OTHER).  A refusal costs only that.
 */
static rd_kafka_resp_err_t
kafka_thread_start(rd_kafka_t *rk UNUSED, rd_kafka_thread_type_t type UNUSED,
    const char *name UNUSED, void *arg UNUSED)
{
	struct sched_param sp = { .sched_priority = 0 };

	pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t
kafka_new(rd_kafka_t *rk, const rd_kafka_conf_t *kc UNUSED, void *arg UNUSED,
    char *err UNUSED, size_t errlen UNUSED)
{
	return rd_kafka_interceptor_add_on_thread_start(rk, "binlogd",
	    kafka_thread_start, NULL);
}

/*
 * Delivery reports arrive here while no transaction is open (the reader
 * waits for the server: a quiet stream still reports its last
 * position).  While one is, the writer serves them (sink_kafka_write):
 * serving a report frees its message, and glibc's free of a block that
 * another thread's malloc took locks that thread's arena -- this thread
 * freeing while the writer produced made them wait on each other's
 * lock, a futex call in most produces.
 */
static void *
kafka_poll(void *arg)
{
	struct sink *s = arg;
	struct sink_kafka *k = s->priv;
	const struct timespec ms = { 0, 1000 * 1000 };

	while (!k->stop)
		if (atomic_load(&k->writing))
			nanosleep(&ms, NULL);
		else
			rd_kafka_poll(k->rk, 100);
	return NULL;
}

static int
kafka_set(struct sink *s, rd_kafka_conf_t *kc, const char *name,
    const char *value)
{
	char err[256];

	if (rd_kafka_conf_set(kc, name, value, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK)
		return sink_fail(s, "[sink] kafka.%s = %s: %s", name, value,
		    err);
	return 0;
}

/*
 * librdkafka's queue holds a message only if it fits beside the others:
 * one larger than queue.buffering.max.kbytes would wait for room for
 * ever.  Our default queue grows to hold one of message.max.bytes;
 * one an operator set must.
 */
static int
kafka_conf_queue(struct sink *s, const struct config *conf,
    rd_kafka_conf_t *kc)
{
	char v[32];
	size_t len = sizeof(v);
	unsigned long long max, kb;

	if (rd_kafka_conf_get(kc, "message.max.bytes", v, &len) !=
	    RD_KAFKA_CONF_OK)
		return 0;
	max = strtoull(v, NULL, 10);
	len = sizeof(v);
	if (rd_kafka_conf_get(kc, "queue.buffering.max.kbytes", v, &len) !=
	    RD_KAFKA_CONF_OK || (kb = strtoull(v, NULL, 10)) * 1024 >= max)
		return 0;
	if (strstr(conf->kafka_props, "queue.buffering.max.kbytes=") != NULL)
		return sink_fail(s, "[sink] kafka.queue.buffering.max.kbytes = "
		    "%llu holds no message of kafka.message.max.bytes = %llu: "
		    "raise it to %llu or more", kb, max, (max + 1023) / 1024);
	snprintf(v, sizeof(v), "%llu", (max + 1023) / 1024);
	return kafka_set(s, kc, "queue.buffering.max.kbytes", v);
}

/*
 * Our defaults, [sink] brokers, then every kafka.* line, which win.  The
 * queue's bound is the sink's memory: 1 MiB and 10,000 messages (with
 * librdkafka's 1 GiB and our former 100,000 a backlog took 30-40 MiB, its
 * pages faulted in and given back again).  lz4 and batches of 256 KiB:
 * the idempotent producer of librdkafka 2.0 has one request in flight per
 * partition and polls without sleeping while messages wait behind it;
 * JSON records compressed make shorter requests (bench/run -K: the
 * streamer's CPU per row down by 40 %).  lz4 rather than Kafka's none
 * (5x the bytes, slower) or zstd (~45 % fewer bytes than lz4, as fast,
 * but ~20 % more CPU on one-row transactions: a context per batch).
 * linger.ms 1, not librdkafka's 5: a lone transaction waited the whole
 * linger for its delivery (bench/run -S -K at 500 tps: commit to
 * delivery report p50 5.1 -> 1.4 ms, p99 6.7 -> 2.7); under load the
 * batches fill while the one in flight is out, linger or not.
 */
static int
kafka_conf(struct sink *s, const struct config *conf, rd_kafka_conf_t *kc)
{
	char line[sizeof(conf->kafka_props)], *p, *nl, *eq;

	if (kafka_set(s, kc, "enable.idempotence", "true") == -1 ||
	    kafka_set(s, kc, "acks", "all") == -1 ||
	    kafka_set(s, kc, "message.timeout.ms", "0") == -1 ||
	    kafka_set(s, kc, "queue.buffering.max.messages", "10000") == -1 ||
	    kafka_set(s, kc, "queue.buffering.max.kbytes", "1024") == -1 ||
	    kafka_set(s, kc, "compression.type", "lz4") == -1 ||
	    kafka_set(s, kc, "batch.size", "262144") == -1 ||
	    kafka_set(s, kc, "linger.ms", "1") == -1 ||
	    (conf->kafka_brokers[0] != '\0' && kafka_set(s, kc,
	    "bootstrap.servers", conf->kafka_brokers) == -1))
		return -1;
	memcpy(line, conf->kafka_props, sizeof(line));
	for (p = line; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		if ((eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		if (kafka_set(s, kc, p, eq + 1) == -1)
			return -1;
	}
	return kafka_conf_queue(s, conf, kc);
}

/*
 * glibc's malloc gives the free top of a thread's heap back to the
 * kernel once it passes a threshold that follows the largest block
 * freed: a broker thread's buffers of a batch (its messages copied,
 * their lz4 output) came back as fresh pages at every request -- three
 * quarters of the broker threads' page faults, a third of their CPU
 * (bench/run -K, rows).  Fixed thresholds keep a few MiB per heap for
 * the next batch; larger blocks (a big row) are still mapped and given
 * back.
 */
static void
kafka_malloc_keep(void)
{
#ifdef HAVE_MALLOPT
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
#endif
}

static int
sink_kafka_open(struct sink *s, const struct config *conf)
{
	struct sink_kafka *k;
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	char err[512];
	size_t len;

	if (conf->kafka_brokers[0] == '\0' &&
	    strstr(conf->kafka_props, "bootstrap.servers=") == NULL &&
	    strstr(conf->kafka_props, "test.mock.num.brokers=") == NULL) {
		rd_kafka_conf_destroy(kc);
		return sink_fail(s, "[stream] sink = kafka needs [sink] brokers "
		    "(host:port,...)");
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		fatal("kafka sink");
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->room, NULL);
	s->priv = k;
	if (kafka_conf(s, conf, kc) == -1) {
		rd_kafka_conf_destroy(kc);
		return -1;
	}
	len = sizeof(k->max_bytes);
	if (rd_kafka_conf_get(kc, "message.max.bytes", k->max_bytes, &len) !=
	    RD_KAFKA_CONF_OK)
		strlcpy_(k->max_bytes, "?", sizeof(k->max_bytes));
	s->tombstones = strcmp(conf->kafka_tombstones, "yes") == 0;
	rd_kafka_conf_set_opaque(kc, s);
	rd_kafka_conf_set_dr_msg_cb(kc, kafka_dr);
	rd_kafka_conf_set_error_cb(kc, kafka_error);
	rd_kafka_conf_interceptor_add_on_new(kc, "binlogd", kafka_new, NULL);
	kafka_malloc_keep();
	if ((k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err,
	    sizeof(err))) == NULL) {
		rd_kafka_conf_destroy(kc);
		return sink_fail(s, "kafka producer: %s", err);
	}
	if (pthread_create(&k->poller, NULL, kafka_poll, s) != 0)
		fatalx("cannot start the kafka poller thread");
	return 0;
}

/* The topic template with %{database} and %{table} filled in; bytes a
 * topic name may not hold ([A-Za-z0-9._-] only) become '_'. */
static const char *
kafka_topic(struct sink_kafka *k, const char *tpl, const char *db,
    const char *table)
{
	size_t n = 0;
	const char *v;

	while (*tpl != '\0' && n < KAFKA_TOPIC_MAX) {
		v = NULL;
		if (strncmp(tpl, "%{database}", 11) == 0) {
			v = db;
			tpl += 11;
		} else if (strncmp(tpl, "%{table}", 8) == 0) {
			v = table;
			tpl += 8;
		}
		if (v == NULL) {
			k->topic[n++] = *tpl++;
			continue;
		}
		for (; *v != '\0' && n < KAFKA_TOPIC_MAX; v++)
			k->topic[n++] = strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *v) ?
			    *v : '_';
	}
	k->topic[n] = '\0';
	return k->topic;
}

/*
 * The topic handle of a message: kept from its first message to the
 * sink's close, rather than looked up by name in librdkafka per message.
 * At its first message its metadata is asked for: librdkafka would hold
 * the messages of a topic it has no metadata for until its next scan of
 * topics, up to a second later -- every table's first row, and every
 * transaction waiting behind it.
 */
static rd_kafka_topic_t *
kafka_topic_handle(struct sink_kafka *k, const char *topic)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *t;
	size_t i;

	for (i = 0; i < k->nseen; i++)
		if (strcmp(rd_kafka_topic_name(k->seen[i]), topic) == 0)
			return k->last = k->seen[i];
	if ((k->seen = reallocarray(k->seen, k->nseen + 1,
	    sizeof(*k->seen))) == NULL ||
	    (t = rd_kafka_topic_new(k->rk, topic, NULL)) == NULL)
		fatal("kafka sink: topic %s", topic);
	k->seen[k->nseen++] = t;
	if (rd_kafka_metadata(k->rk, 0, t, &md, 1000) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		rd_kafka_metadata_destroy(md);
	return k->last = t;
}

/* The topic of a record: most follow one of the same table, whose topic
 * is taken as it is rather than made again from the template (once per
 * message, that cost nearly as much as librdkafka's produce). */
static rd_kafka_topic_t *
kafka_rec_topic(struct sink *s, struct sink_kafka *k,
    const struct sink_rec *rec)
{
	if (k->last != NULL && strcmp(k->last_table, rec->table) == 0 &&
	    strcmp(k->last_db, rec->db) == 0)
		return k->last;
	strlcpy_(k->last_db, rec->db, sizeof(k->last_db));
	strlcpy_(k->last_table, rec->table, sizeof(k->last_table));
	return kafka_topic_handle(k, kafka_topic(k, s->conf->kafka_topic,
	    rec->db, rec->table));
}

/* The sink failed (k->failed), or its owner stops. */
static int
kafka_fail(struct sink *s, struct sink_kafka *k)
{
	s->code = k->failed ? k->code : 0;
	return sink_fail(s, "%s", k->failed ? k->why : "stopping");
}

/* Waits, locked, for a delivery report after the seen'th: it may have
 * made room in the ring or in librdkafka's queue.  10 ms at most, for
 * sink_stopping. */
static void
kafka_wait(struct sink_kafka *k, uint64_t seen)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 10 * 1000 * 1000;
	if (ts.tv_nsec >= 1000 * 1000 * 1000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000 * 1000 * 1000;
	}
	while (atomic_load(&k->reports) == seen && !k->failed)
		if (pthread_cond_timedwait(&k->room, &k->mu, &ts) == ETIMEDOUT)
			return;
}

/* The open transaction's slot, starting one if needed; waits while the
 * ring is full of transactions awaiting reports.  Called locked. */
static int
kafka_slot(struct sink *s, struct sink_kafka *k, size_t *slot)
{
	while (!k->open && k->count == KAFKA_RING && !k->failed &&
	    !sink_stopping(s))
		kafka_wait(k, atomic_load(&k->reports));
	if (k->failed || (!k->open && k->count == KAFKA_RING))
		return kafka_fail(s, k);
	*slot = (k->head + k->count - (k->open ? 1 : 0)) % KAFKA_RING;
	if (!k->open) {
		k->ring[*slot] = (struct kafka_trx){ .pos = -1 };
		k->count++;
		k->open = true;
		atomic_store(&k->writing, true);
	}
	return 0;
}

/* A position for the transaction in slot, at its commit: a free one, or
 * else the one of the transaction before it (all are held by committed
 * transactions awaiting reports, the newest of them among them), whose
 * report is then slot's.  Called locked. */
static void
kafka_pos_take(struct sink_kafka *k, size_t slot)
{
	struct kafka_trx *prev = &k->ring[(slot + KAFKA_RING - 1) % KAFKA_RING];
	int i;

	for (i = 0; i < KAFKA_POS; i++)
		if ((k->pos_used & (1u << i)) == 0) {
			k->pos_used |= 1u << i;
			k->ring[slot].pos = i;
			return;
		}
	k->ring[slot].pos = prev->pos;
	k->ring[slot].force |= prev->force;
	prev->pos = -1;
}

/* One message of rec: its value without the newline (a tombstone: none),
 * its key, the header naming the other key of a key change. */
static rd_kafka_resp_err_t
kafka_produce(struct sink *s, struct sink_kafka *k, const struct sink_rec *rec,
    size_t slot)
{
	rd_kafka_headers_t *h = NULL;
	rd_kafka_resp_err_t e;
	size_t len = rec->buf != NULL ? rec->len - 1 : 0;
	rd_kafka_topic_t *t = kafka_rec_topic(s, k, rec);

	if (rec->hdr != NULL) {
		h = rd_kafka_headers_new(1);
		rd_kafka_header_add(h, rec->hdr, -1, rec->hdrval,
		    (ssize_t)rec->hdrlen);
	}
	e = rd_kafka_producev(k->rk, RD_KAFKA_V_RKT(t),
	    RD_KAFKA_V_KEY(rec->key, rec->keylen),
	    RD_KAFKA_V_VALUE((void *)(uintptr_t)rec->buf, len),
	    RD_KAFKA_V_HEADERS(h),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)slot), RD_KAFKA_V_END);
	/* on success the message owns the headers */
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR && h != NULL)
		rd_kafka_headers_destroy(h);
	return e;
}

/* Produces one record; a full local queue (broker slow or gone) makes the
 * reader wait here, which bounds memory.  A record over the producer's
 * message.max.bytes is SINK_TOO_BIG, for record.c's on_oversize. */
static int
sink_kafka_write(struct sink *s, const struct sink_rec *rec)
{
	struct sink_kafka *k = s->priv;
	rd_kafka_resp_err_t e;
	size_t slot;
	int rc;

	pthread_mutex_lock(&k->mu);
	if ((rc = kafka_slot(s, k, &slot)) == 0)
		k->ring[slot].remaining++;
	pthread_mutex_unlock(&k->mu);
	if (rc == -1)
		return -1;
	while ((e = kafka_produce(s, k, rec, slot)) ==
	    RD_KAFKA_RESP_ERR__QUEUE_FULL && !sink_stopping(s) && !k->failed)
		rd_kafka_poll(k->rk, 10);
	rd_kafka_poll(k->rk, 0);
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;
	pthread_mutex_lock(&k->mu);
	k->ring[slot].remaining--;
	pthread_mutex_unlock(&k->mu);
	if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
		sink_fail(s, "a message of %zu bytes for topic %s, over the "
		    "producer's message.max.bytes = %s", rec->len - 1 +
		    rec->keylen + rec->hdrlen, k->topic, k->max_bytes);
		return SINK_TOO_BIG;
	}
	if (k->failed)
		return kafka_fail(s, k);
	return sink_fail(s, "producing to %s: %s", k->topic,
	    rd_kafka_err2str(e));
}

static int
sink_kafka_commit(struct sink *s, const struct position *pos, bool force)
{
	struct sink_kafka *k = s->priv;
	size_t slot;
	int rc;

	pthread_mutex_lock(&k->mu);
	if ((rc = kafka_slot(s, k, &slot)) == 0) {
		k->ring[slot].force = force;
		kafka_pos_take(k, slot);
		position_copy(&k->pos[k->ring[slot].pos], pos);
		k->ring[slot].committed = true;
		k->open = false;
		atomic_store(&k->writing, false);
		kafka_drain(s, k);
	}
	pthread_mutex_unlock(&k->mu);
	return rc;
}

/* Waits a little for the reports still due; what is not reported is
 * sent again after the restart. */
static void
sink_kafka_close(struct sink *s)
{
	struct sink_kafka *k = s->priv;

	if (k == NULL)
		return;
	while (k->nseen > 0)
		rd_kafka_topic_destroy(k->seen[--k->nseen]);
	free(k->seen);
	if (k->rk != NULL) {
		k->stop = 1;
		pthread_join(k->poller, NULL);
		if (rd_kafka_flush(k->rk, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
			log_errx("kafka: %d messages not delivered at exit; "
			    "they are sent again after the restart",
			    rd_kafka_outq_len(k->rk));
		rd_kafka_destroy(k->rk);
	}
	free(k);
	s->priv = NULL;
}

const struct sink_ops sink_kafka_ops = {
	.name = "kafka",
	.per_record = true,
	.keyed = true,
	.open = sink_kafka_open,
	.write = sink_kafka_write,
	.commit = sink_kafka_commit,
	.close = sink_kafka_close,
};
