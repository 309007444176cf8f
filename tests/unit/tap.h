/* tap.h: the assertions of the unit tests, printing both values on failure
 * and one TAP line per test case; main() ends with `return tap_done();`. */
#ifndef BINLOGD_TAP_H
#define BINLOGD_TAP_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tap_fails;		/* failed checks in the program */
static int tap_cases;

#define CHECK(c)		tap_check((c), #c, __FILE__, __LINE__)
#define CHECK_STR(got, want)	tap_check_str((got), (want), #got, \
				    __FILE__, __LINE__)
#define CHECK_INT(got, want)	tap_check_int((got), (want), #got, \
				    __FILE__, __LINE__)
#define CHECK_U64(got, want)	tap_check_u64((got), (want), #got, \
				    __FILE__, __LINE__)
/* The string contains the fragment. */
#define CHECK_HAS(got, frag)	tap_check_has((got), (frag), #got, \
				    __FILE__, __LINE__)
#define RUN(fn)			tap_run((fn), #fn)

/* Hex text (as in the fixtures' vectors) to bytes; how many were written. */
static inline size_t
tap_unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (h[0] && h[1] && n < cap && sscanf(h, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static inline int
tap_check(int ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		printf("# %s:%d: check failed: %s\n", file, line, expr);
		tap_fails++;
	}
	return ok;
}

static inline int
tap_check_str(const char *got, const char *want, const char *expr,
    const char *file, int line)
{
	if (got != NULL && want != NULL && strcmp(got, want) == 0)
		return 1;
	printf("# %s:%d: %s\n#   got:  \"%s\"\n#   want: \"%s\"\n", file, line,
	    expr, got ? got : "(null)", want ? want : "(null)");
	tap_fails++;
	return 0;
}

static inline int
tap_check_int(int64_t got, int64_t want, const char *expr, const char *file,
    int line)
{
	if (got == want)
		return 1;
	printf("# %s:%d: %s\n#   got:  %" PRId64 "\n#   want: %" PRId64 "\n",
	    file, line, expr, got, want);
	tap_fails++;
	return 0;
}

static inline int
tap_check_u64(uint64_t got, uint64_t want, const char *expr,
    const char *file, int line)
{
	if (got == want)
		return 1;
	printf("# %s:%d: %s\n#   got:  %" PRIu64 "\n#   want: %" PRIu64 "\n",
	    file, line, expr, got, want);
	tap_fails++;
	return 0;
}

static inline int
tap_check_has(const char *got, const char *frag, const char *expr,
    const char *file, int line)
{
	if (got != NULL && strstr(got, frag) != NULL)
		return 1;
	printf("# %s:%d: %s\n#   got:  \"%s\"\n#   want it to contain: \"%s\"\n",
	    file, line, expr, got ? got : "(null)", frag);
	tap_fails++;
	return 0;
}

static inline void
tap_run(void (*fn)(void), const char *name)
{
	int before = tap_fails;

	fn();
	tap_cases++;
	printf("%s %d - %s\n", tap_fails == before ? "ok" : "not ok",
	    tap_cases, name);
	fflush(stdout);
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_cases);
	if (tap_fails)
		printf("# %d check(s) failed\n", tap_fails);
	return tap_fails ? 1 : 0;
}

#endif
