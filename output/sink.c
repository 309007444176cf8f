/* sink.c: the sink registry -- a new sink is one
 * sink_*.c file and one line in sinks[] -- choosing and closing. */
#include "build.h"

#include <string.h>

#include "log.h"
#include "output.h"

/* Every sink this build has, NULL-terminated; the one list of names. */
const struct sink_ops *const sink_registry[] = {
	&sink_stdout_ops,
	&sink_file_ops,
#ifdef HAVE_KAFKA
	&sink_kafka_ops,
#endif
	NULL,
};

/* Opens the sink [stream] sink names; -1 with s->error on failure. */
int
sink_open(struct sink *s, const struct config *conf,
    const struct sink_owner *owner)
{
	const struct sink_ops *const *ops;

	memset(s, 0, sizeof(*s));
	s->conf = conf;
	s->owner = owner;
	for (ops = sink_registry; *ops != NULL; ops++)
		if (strcmp((*ops)->name, conf->sink) == 0)
			s->ops = *ops;
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
