/* sink.c: the sink registry -- a new sink is one
 * sink_*.c file and one line in sinks[] -- choosing and closing. */
#include "build.h"

#include <string.h>

#include "log.h"
#include "output.h"

static const struct sink_ops *sinks[] = {
	&sink_stdout_ops,
	&sink_file_ops,
#ifdef HAVE_KAFKA
	&sink_kafka_ops,
#endif
};
#define NSINKS	(sizeof(sinks) / sizeof(sinks[0]))

/* Opens the sink [stream] sink names; -1 with s->error on failure. */
int
sink_open(struct sink *s, const struct config *conf,
    const struct sink_owner *owner)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->conf = conf;
	s->owner = owner;
	for (i = 0; i < NSINKS; i++)
		if (strcmp(sinks[i]->name, conf->sink) == 0)
			s->ops = sinks[i];
	if (s->ops == NULL)
		return sink_fail(s, "[stream] sink = %s: this binlogd was built "
		    "without it (for kafka: install librdkafka-dev, Debian's "
		    "package, and configure --with-kafka)", conf->sink);
	return s->ops->open(s, conf);
}

void
sink_close(struct sink *s)
{
	if (s->ops != NULL && s->ops->close != NULL)
		s->ops->close(s);
	s->ops = NULL;
}
