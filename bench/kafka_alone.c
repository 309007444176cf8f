/* kafka_alone.c: librdkafka alone, for the Kafka sink's ceiling on this
 * machine -- the records of a binlog, already formatted (binlogcat's
 * lines) and held in memory, produced into a Kafka cluster as the Kafka
 * sink produces them: one message per line keyed by the row's id (the
 * bench tables' primary key, {"id":N}), a tombstone after each delete,
 * rd_kafka_poll after each message, then a flush.  Prints the rows/s, the
 * wall and the CPU time from the first message to the last delivery report:
 * nothing of binlogd's reading, decoding or formatting is in them.
 *
 *   cc -O2 -o kafka_alone bench/kafka_alone.c -lrdkafka
 *   kafka_alone BROKERS TOPIC RECORDS.jsonl [PROPERTY=VALUE ...]
 *
 * The properties are librdkafka's; give the Kafka sink's defaults
 * (binlogd.conf(5), [sink] kafka.*) to compare with bench/run -K, see
 * bench/README.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

struct alone_rec {
	char	*value;
	size_t	 len;
	char	 key[32];
	int	 tombstone;	/* a delete: a null message follows */
};

static long delivered, failed;

static void
alone_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
		failed++;
	else
		delivered++;
}

static double
alone_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
alone_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Every line of path, with its key; exits on a read error. */
static struct alone_rec *
alone_load(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	struct alone_rec *recs = NULL, *r;
	size_t cap = 0, linecap = 0;
	char *line = NULL, *id;
	ssize_t len;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	for (*n = 0; (len = getline(&line, &linecap, f)) > 1; (*n)++) {
		if (*n == cap && (recs = realloc(recs, (cap = cap * 2 + 1024) *
		    sizeof(*recs))) == NULL) {
			perror("kafka_alone");
			exit(1);
		}
		r = &recs[*n];
		r->len = (size_t)len - 1;
		if ((r->value = malloc(r->len)) == NULL) {
			perror("kafka_alone");
			exit(1);
		}
		memcpy(r->value, line, r->len);
		id = strstr(line, "\"data\":{\"id\":");
		snprintf(r->key, sizeof(r->key), "{\"id\":%ld}",
		    id != NULL ? atol(id + 13) : 0L);
		r->tombstone = strstr(line, "\"type\":\"delete\"") != NULL;
	}
	free(line);
	fclose(f);
	return recs;
}

static rd_kafka_t *
alone_producer(const char *brokers, char **props, int nprops)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256], *eq;
	rd_kafka_t *rk;
	int i;

	rd_kafka_conf_set(conf, "bootstrap.servers", brokers, NULL, 0);
	for (i = 0; i < nprops; i++) {
		if ((eq = strchr(props[i], '=')) == NULL) {
			fprintf(stderr, "kafka_alone: %s: not PROPERTY=VALUE\n",
			    props[i]);
			exit(64);
		}
		*eq = '\0';
		if (rd_kafka_conf_set(conf, props[i], eq + 1, err,
		    sizeof(err)) != RD_KAFKA_CONF_OK) {
			fprintf(stderr, "kafka_alone: %s\n", err);
			exit(64);
		}
	}
	rd_kafka_conf_set_dr_msg_cb(conf, alone_dr);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "kafka_alone: %s\n", err);
		exit(1);
	}
	return rk;
}

/* One message; waits for room in librdkafka's queue as the sink does. */
static void
alone_produce(rd_kafka_t *rk, rd_kafka_topic_t *t, const struct alone_rec *r,
    int tombstone)
{
	rd_kafka_resp_err_t e;

	while ((e = rd_kafka_producev(rk, RD_KAFKA_V_RKT(t),
	    RD_KAFKA_V_KEY(r->key, strlen(r->key)),
	    RD_KAFKA_V_VALUE(tombstone ? NULL : r->value,
	    tombstone ? 0 : r->len),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
	    RD_KAFKA_RESP_ERR__QUEUE_FULL)
		rd_kafka_poll(rk, 10);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "kafka_alone: produce: %s\n",
		    rd_kafka_err2str(e));
		exit(1);
	}
	rd_kafka_poll(rk, 0);
}

int
main(int argc, char **argv)
{
	const struct rd_kafka_metadata *md;
	struct alone_rec *recs;
	rd_kafka_topic_t *t;
	rd_kafka_t *rk;
	double t0, cpu0, wall, cpu;
	size_t n, i;
	long msgs = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: kafka_alone BROKERS TOPIC RECORDS.jsonl "
		    "[PROPERTY=VALUE ...]\n");
		return 64;
	}
	recs = alone_load(argv[3], &n);
	rk = alone_producer(argv[1], argv + 4, argc - 4);
	t = rd_kafka_topic_new(rk, argv[2], NULL);
	/* the topic's metadata first, as the sink asks for it */
	if (rd_kafka_metadata(rk, 0, t, &md, 5000) == 0)
		rd_kafka_metadata_destroy(md);
	t0 = alone_now();
	cpu0 = alone_cpu();
	for (i = 0; i < n; i++) {
		alone_produce(rk, t, &recs[i], 0);
		msgs++;
		if (recs[i].tombstone) {
			alone_produce(rk, t, &recs[i], 1);
			msgs++;
		}
	}
	if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR)
		fprintf(stderr, "kafka_alone: %d messages not delivered\n",
		    rd_kafka_outq_len(rk));
	wall = alone_now() - t0;
	cpu = alone_cpu() - cpu0;
	printf("rows %zu messages %ld delivered %ld failed %ld rows/s %.0f "
	    "wall %.3f s cpu %.3f s\n", n, msgs, delivered, failed,
	    (double)n / wall, wall, cpu);
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(rk);
	return failed > 0 || delivered != msgs;
}
