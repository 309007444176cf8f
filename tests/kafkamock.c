/* kafkamock.c: a Kafka cluster for the integration tests -- librdkafka's
 * mock cluster, a real broker protocol peer, run in this process:
 * `kafkamock [BROKERS]` (default 1; topics get the mock's 4 partitions,
 * spread over the brokers).  Prints "bootstrap HOST:PORT,..." and then
 * answers one command per stdin line:
 *
 *   errors N MS [E] the next N produce requests to each broker fail after
 *                   MS milliseconds each, with Kafka error code E
 *                   (default 19, NOT_ENOUGH_REPLICAS, retriable); prints
 *                   "ok"
 *   pending         broker 1's produce errors not yet used: prints the
 *                   count
 *   down | up       the broker stops / starts answering; prints "ok"
 *   topic TOPIC     creates TOPIC with 4 partitions, replicated as the
 *                   mock's own (up to 3 brokers), their leaders spread
 *                   over the brokers in turn (partition p on broker
 *                   p % BROKERS + 1) as a real cluster balances them --
 *                   not the mock's random leader per partition, which
 *                   may put three on one broker; prints "ok"
 *   consume TOPIC N reads TOPIC from the beginning of every partition
 *                   until it has N messages and none came for 2 s, or for
 *                   20 s: prints "partitions P", then
 *                   "PARTITION<TAB>KEY<TAB>VALUE" per message ("-" for no
 *                   key, no value: a tombstone), each header after it as
 *                   "<TAB>NAME=VALUE", then "end"
 *   quit
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* the mock's default partitions per topic, and ours (mock_topic) */
#define MOCK_PARTITIONS	4
/* ProduceRequest's ApiKey (librdkafka keeps its names private) */
#define MOCK_API_PRODUCE	0

static rd_kafka_mock_cluster_t *mc;
static int brokers = 1;
static const char *bootstrap;

static rd_kafka_t *
mock_client(rd_kafka_type_t type)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char err[256];
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err,
	    sizeof(err)) != RD_KAFKA_CONF_OK ||
	    (type == RD_KAFKA_CONSUMER && rd_kafka_conf_set(c, "group.id",
	    "kafkamock", err, sizeof(err)) != RD_KAFKA_CONF_OK) ||
	    (rk = rd_kafka_new(type, c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kafkamock: %s\n", err);
		exit(1);
	}
	return rk;
}

static int
mock_partitions(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
	int n = -1;

	if (rd_kafka_metadata(rk, 0, t, &md, 10000) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (md->topic_cnt == 1 && md->topics[0].err == 0)
			n = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(t);
	return n;
}

static void
mock_bytes(const void *p, size_t len)
{
	if (p == NULL)
		printf("-");
	else
		fwrite(p, 1, len, stdout);
}

static void
mock_print(const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *h = NULL;
	const char *name;
	const void *v;
	size_t i, len;

	printf("%d\t", (int)m->partition);
	mock_bytes(m->key, m->key_len);
	printf("\t");
	mock_bytes(m->payload, m->len);
	if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR)
		for (i = 0; rd_kafka_header_get_all(h, i, &name, &v, &len) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
			printf("\t%s=", name);
			mock_bytes(v, len);
		}
	printf("\n");
}

static void
mock_consume(const char *topic, long want)
{
	rd_kafka_t *rk = mock_client(RD_KAFKA_CONSUMER);
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_message_t *m;
	time_t end = time(NULL) + 20, quiet = time(NULL) + 2;
	long got = 0;
	int i, n = mock_partitions(rk, topic);

	printf("partitions %d\n", n);
	l = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
	for (i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, topic, i)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, l);
	while (n > 0 && (got < want || time(NULL) < quiet) &&
	    time(NULL) < end) {
		if ((m = rd_kafka_consumer_poll(rk, 200)) == NULL)
			continue;
		if (m->err == 0) {
			mock_print(m);
			got++;
			quiet = time(NULL) + 2;
		}
		rd_kafka_message_destroy(m);
	}
	printf("end\n");
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

static void
mock_topic(const char *topic)
{
	int p;

	if (rd_kafka_mock_topic_create(mc, topic, MOCK_PARTITIONS,
	    brokers < 3 ? brokers : 3) != 0) {
		printf("? topic %s\n", topic);
		return;
	}
	for (p = 0; p < MOCK_PARTITIONS; p++)
		rd_kafka_mock_partition_set_leader(mc, topic, p,
		    p % brokers + 1);
	printf("ok\n");
}

static void
mock_command(char *line)
{
	char topic[256];
	long n, ms;
	size_t left = 0;
	int b, e = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS;

	if (sscanf(line, "errors %ld %ld %d", &n, &ms, &e) >= 2) {
		for (; n > 0; n--)
			for (b = 1; b <= brokers; b++)
				rd_kafka_mock_broker_push_request_error_rtts(mc,
				    b, MOCK_API_PRODUCE, 1, e, (int)ms);
		printf("ok\n");
	} else if (strcmp(line, "pending") == 0) {
		rd_kafka_mock_broker_error_stack_cnt(mc, 1, MOCK_API_PRODUCE,
		    &left);
		printf("%zu\n", left);
	} else if (strcmp(line, "down") == 0) {
		rd_kafka_mock_broker_set_down(mc, 1);
		printf("ok\n");
	} else if (strcmp(line, "up") == 0) {
		rd_kafka_mock_broker_set_up(mc, 1);
		printf("ok\n");
	} else if (sscanf(line, "topic %255s", topic) == 1)
		mock_topic(topic);
	else if (sscanf(line, "consume %255s %ld", topic, &n) == 2)
		mock_consume(topic, n);
	else
		printf("? %s\n", line);
}

int
main(int argc, char **argv)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char line[512], err[256] = "";
	rd_kafka_t *rk;

	if (argc > 1)
		brokers = atoi(argv[1]);
	/* the cluster's owner: a handle that does nothing else */
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err))) ==
	    NULL || (mc = rd_kafka_mock_cluster_new(rk, brokers)) == NULL) {
		fprintf(stderr, "kafkamock: cannot start a mock cluster: %s\n",
		    err);
		return 1;
	}
	bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
	printf("bootstrap %s\n", bootstrap);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "quit") == 0)
			break;
		mock_command(line);
		fflush(stdout);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
