/* malloc_count.c: an LD_PRELOAD shim that counts allocation calls and
 * appends "pid malloc calloc realloc" to $MALLOC_COUNT_OUT at exit, so
 * bench/run -M can show that allocations do not grow with the rows.
 *
 *   cc -shared -fPIC -O2 -o malloc_count.so bench/malloc_count.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);

static unsigned long	 malloc_count_n[3];

void *
malloc(size_t n)
{
	__atomic_fetch_add(&malloc_count_n[0], 1, __ATOMIC_RELAXED);
	return __libc_malloc(n);
}

void *
calloc(size_t k, size_t n)
{
	__atomic_fetch_add(&malloc_count_n[1], 1, __ATOMIC_RELAXED);
	return __libc_calloc(k, n);
}

void *
realloc(void *p, size_t n)
{
	__atomic_fetch_add(&malloc_count_n[2], 1, __ATOMIC_RELAXED);
	return __libc_realloc(p, n);
}

/* Destructors run on exit(), which is how every binlogd process ends. */
__attribute__((destructor)) static void
malloc_count_report(void)
{
	const char *path = getenv("MALLOC_COUNT_OUT");
	FILE *f;

	if (path == NULL || (f = fopen(path, "a")) == NULL)
		return;
	fprintf(f, "%d %lu %lu %lu\n", (int)getpid(), malloc_count_n[0],
	    malloc_count_n[1], malloc_count_n[2]);
	fclose(f);
}
