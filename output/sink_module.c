/* sink_module.c: the sinks built as modules of their own, loaded when
 * [stream] sink names one.  The Kafka sink's librdkafka (and with it
 * SASL, LZ4, libm) costs every process that links it ~2 ms of start-up
 * (66 page faults before main, measured on binlogd-streamer --version)
 * that a stdout or file sink never repays; as a module it costs only the
 * Kafka sink's streamer, at open.  The module is binlogd-sink-NAME.so
 * beside the helpers (BINLOGD_LIBEXECDIR overrides the directory) and
 * defines sink_NAME_ops; it calls back into the streamer, which exports
 * its symbols for it.  RTLD_GLOBAL: a preloaded shim that wraps the
 * library's functions (bench/kafka_dr_log.c) finds them with RTLD_NEXT,
 * which searches the global scope only. */
#include "build.h"

#include <dlfcn.h>
#include <stdio.h>

#include "output.h"
#include "util.h"

static int
sink_module_open(struct sink *s, const struct config *conf)
{
	char file[64], path[1024], sym[64];
	const struct sink_ops *ops;
	void *h;

	snprintf(file, sizeof(file), "binlogd-sink-%s.so", s->ops->name);
	snprintf(sym, sizeof(sym), "sink_%s_ops", s->ops->name);
	libexec_path(file, path, sizeof(path));
	if ((h = dlopen(path, RTLD_NOW | RTLD_GLOBAL)) == NULL)
		return sink_fail(s, "[stream] sink = %s: %s (is binlogd "
		    "installed? BINLOGD_LIBEXECDIR overrides the directory)",
		    s->ops->name, dlerror());
	if ((ops = dlsym(h, sym)) == NULL || ops->open == NULL ||
	    ops->open == sink_module_open)
		return sink_fail(s, "[stream] sink = %s: %s has no %s: "
		    "reinstall binlogd", s->ops->name, path, sym);
	s->ops = ops;
	return ops->open(s, conf);
}

#ifdef HAVE_KAFKA
const struct sink_ops sink_kafka_ops = {
	.name = "kafka",
	.open = sink_module_open,
};
#endif
