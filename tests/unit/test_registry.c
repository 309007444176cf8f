/* test_registry.c: the names of the sinks and formats live in one list
 * each (output/sink.c's sink_registry, output/record.c's format_registry);
 * the configuration's choices (common/config.c), binlogd.conf(5) and the
 * sample configuration must name exactly those. */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "output.h"
#include "tap.h"

#define NAMES_MAX	16

struct names {
	char		 v[NAMES_MAX][32];
	int		 n;
};

static bool
names_has(const struct names *ns, const char *name)
{
	int i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			return true;
	return false;
}

/* Splits "a|b|c" or "a | b | c" (stopping at end, or at stop). */
static void
names_split(const char *s, const char *stop, struct names *ns)
{
	size_t len;

	ns->n = 0;
	while (*s != '\0' && (stop == NULL || s < stop) && ns->n < NAMES_MAX) {
		s += strspn(s, " |");
		if (*s == '(')		/* the sample's "(options in ...)" */
			break;
		len = strcspn(s, " |\n\"");
		if (stop != NULL && s + len > stop)
			len = (size_t)(stop - s);
		if (len == 0 || len >= sizeof(ns->v[0]))
			break;
		memcpy(ns->v[ns->n], s, len);
		ns->v[ns->n++][len] = '\0';
		s += len;
		if (*s == '"' || *s == '\n')
			break;
	}
}

/* The choices config.c offers for [stream] name, from its own error. */
static void
config_choices(const char *name, struct names *ns)
{
	char text[128], err[512];
	const char *p;
	struct config conf;

	snprintf(text, sizeof(text), "[stream]\n%s = no-such-name\n", name);
	ns->n = 0;
	if (config_parse(&conf, "t.conf", text, strlen(text), err,
	    sizeof(err)) == 0 || (p = strstr(err, "one of ")) == NULL) {
		CHECK(!"config.c rejects an unknown name with its choices");
		return;
	}
	names_split(p + strlen("one of "), strstr(p, ", not"), ns);
}

/* The names a line of a file gives after prefix ("a | b | c"). */
static void
file_choices(const char *path, const char *prefix, struct names *ns)
{
	char line[512];
	FILE *fp;

	ns->n = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			/* the man page: ".It Cm sink No = Cm a | b | c" */
			char *p = line + strlen(prefix), *q;

			while ((q = strstr(p, "Cm ")) != NULL)
				memmove(q, q + 3, strlen(q + 3) + 1);
			names_split(p, NULL, ns);
			break;
		}
	fclose(fp);
}

/* Every name of list is in want and every name of want in list,
 * but for those allowed (a sink this build left out). */
static void
same_names(const char *what, const struct names *list,
    const struct names *want, const char *allowed)
{
	int i;

	CHECK(want->n > 0);
	for (i = 0; i < list->n; i++)
		if (!tap_check(names_has(want, list->v[i]), list->v[i],
		    what, __LINE__))
			fprintf(stderr, "# %s: %s missing\n", what, list->v[i]);
	for (i = 0; i < want->n; i++)
		if (!names_has(list, want->v[i]) &&
		    !tap_check(allowed != NULL && strcmp(allowed,
		    want->v[i]) == 0, want->v[i], what, __LINE__))
			fprintf(stderr, "# %s: %s is in no registry\n", what,
			    want->v[i]);
}

static void
test_sinks(void)
{
	struct names reg = { .n = 0 }, conf, man, sample;
	const struct sink_ops *const *s;
	const char *unbuilt = NULL;

	for (s = sink_registry; *s != NULL; s++)
		snprintf(reg.v[reg.n++], sizeof(reg.v[0]), "%s", (*s)->name);
#ifndef HAVE_KAFKA
	unbuilt = "kafka";
#endif
	config_choices("sink", &conf);
	same_names("config.c's sink choices", &reg, &conf, unbuilt);
	file_choices(SRCDIR "/man/binlogd.conf.5.in", ".It Cm sink No = ",
	    &man);
	same_names("binlogd.conf(5)'s sinks", &conf, &man, NULL);
	file_choices(SRCDIR "/binlogd.conf.sample",
	    "# Where records go: ", &sample);
	same_names("binlogd.conf.sample's sinks", &conf, &sample, NULL);
}

static void
test_formats(void)
{
	struct names reg = { .n = 0 }, conf, man;
	const struct format_ops *const *f;

	for (f = format_registry; *f != NULL; f++)
		snprintf(reg.v[reg.n++], sizeof(reg.v[0]), "%s", (*f)->name);
	config_choices("format", &conf);
	same_names("config.c's format choices", &reg, &conf, NULL);
	file_choices(SRCDIR "/man/binlogd.conf.5.in", ".It Cm format No = ",
	    &man);
	same_names("binlogd.conf(5)'s formats", &conf, &man, NULL);
}

int
main(void)
{
	RUN(test_sinks);
	RUN(test_formats);
	return tap_done();
}
