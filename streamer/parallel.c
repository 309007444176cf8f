/* parallel.c: rows events formatted on two cores.  While a second thread
 * formats one rows event, the reader reads the next and formats it
 * itself; the two events' records are joined to r->out in binlog order.
 * Every other event first waits for that (par_sync), so table maps,
 * commits, checkpoints and errors see the stream as one thread made it. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "streamer.h"

/* What rows_decode writes into, apart from r->out's owner. */
struct par_bufs {
	struct obuf	 out, img[2], scratch, jd[3], inflated;
	struct span	*spans[2];
	size_t		 spans_cap;
	bool		 pending;	/* its records end in an open one */
};

/* How long a thread waiting for the other yields before it sleeps: the
 * other is usually tens of microseconds from done, a wake-up as long. */
#define PAR_SPINS	200

static struct {
	bool		 on;
	bool		 started;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 go, done;
	_Atomic bool	 busy;		/* the thread has a job */
	bool		 given;		/* the reader's: a job not joined yet */
	/* the job: the reader as it was at the event, on the thread's
	 * buffers, and a copy of the event (the packet buffer moves on) */
	struct reader	 r;
	struct par_bufs	 bufs;
	struct obuf	 query, ev;
	int		 kind, rc;
	/* the events the reader formats meanwhile */
	struct par_bufs	 side;
} par = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.go = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

#define PAR_SWAP(a, b) do {					\
	__typeof__(a) t_ = (a);						\
	(a) = (b);							\
	(b) = t_;							\
} while (0)

/* Puts b's buffers into r and r's into b. */
static void
par_swap(struct reader *r, struct par_bufs *b)
{
	int i;

	PAR_SWAP(r->out, b->out);
	PAR_SWAP(r->scratch, b->scratch);
	PAR_SWAP(r->inflated, b->inflated);
	PAR_SWAP(r->spans_cap, b->spans_cap);
	PAR_SWAP(r->row_pending, b->pending);
	for (i = 0; i < 2; i++) {
		PAR_SWAP(r->img[i], b->img[i]);
		PAR_SWAP(r->spans[i], b->spans[i]);
	}
	for (i = 0; i < 3; i++)
		PAR_SWAP(r->jd[i], b->jd[i]);
}

/* Until busy is want: yielding a while, then asleep on cond. */
static void
par_until(bool want, pthread_cond_t *cond)
{
	int i;

	for (i = 0; i < PAR_SPINS; i++) {
		if (atomic_load_explicit(&par.busy, memory_order_acquire) ==
		    want)
			return;
		sched_yield();
	}
	pthread_mutex_lock(&par.mu);
	while (atomic_load(&par.busy) != want)
		pthread_cond_wait(cond, &par.mu);
	pthread_mutex_unlock(&par.mu);
}

static void
par_set_busy(bool busy, pthread_cond_t *cond)
{
	pthread_mutex_lock(&par.mu);
	atomic_store(&par.busy, busy);
	pthread_cond_signal(cond);
	pthread_mutex_unlock(&par.mu);
}

static void *
par_main(void *arg)
{
	struct cursor c;

	(void)arg;
	for (;;) {
		par_until(true, &par.go);
		cursor_init(&c, (const uint8_t *)par.ev.buf, par.ev.len);
		par.rc = rows_decode(&par.r, &c, par.kind);
		par_set_busy(false, &par.done);
	}
	return NULL;
}

/* threads: [stream] decode_threads; binlogcat uses 2 when it can. */
void
par_init(int threads)
{
	par.on = threads > 1;
}

/* Hands the rows event at c to the thread. */
static void
par_give(struct reader *r, const struct cursor *c, int kind)
{
	par.ev.len = 0;
	obuf_add(&par.ev, c->p + c->off, c->len - c->off);
	par.query.len = 0;
	obuf_add(&par.query, r->query.buf, r->query.len);
	par.r = *r;
	par.r.query = par.query;
	par.r.detached = true;
	par.bufs.out.len = 0;
	par.bufs.pending = false;
	par_swap(&par.r, &par.bufs);
	par.kind = kind;
	par.given = true;
	par_set_busy(true, &par.go);
}

/* Waits for the thread's job and takes its buffers back. */
static void
par_take_back(void)
{
	par_until(false, &par.done);
	par.given = false;
	par_swap(&par.r, &par.bufs);
	par.query = par.r.query;
}

/* The thread's records, then those formatted meanwhile, joined after
 * what r->out holds; then the thread is free for the next event. */
static int
par_join(struct reader *r)
{
	par_take_back();
	if (par.rc == -1 ||
	    record_join(r, &par.bufs.out, par.bufs.pending) == -1 ||
	    record_join(r, &par.side.out, par.side.pending) == -1)
		return -1;
	par.side.out.len = 0;
	par.side.pending = false;
	return 0;
}

/* Before any other event: every rows event's records are in r->out. */
int
par_sync(struct reader *r)
{
	return par.given ? par_join(r) : 0;
}

/* Formats the event here, after those formatted meanwhile before it. */
static int
par_beside(struct reader *r, struct cursor *c, int kind)
{
	int rc;

	par_swap(r, &par.side);
	r->detached = true;
	rc = rows_decode(r, c, kind);
	r->detached = false;
	par_swap(r, &par.side);
	return rc;
}

/*
 * A rows event: to the thread if it is free, else formatted here while
 * it works.  Not for a per-record sink, nor for an event that may hold a
 * value long enough to go to the sink in pieces (rows_long).
 */
int
par_rows(struct reader *r, struct cursor *c, int kind)
{
	if (!par.on || !record_joinable() || c->len - c->off >= ROWS_PIECE) {
		if (par_sync(r) == -1)
			return -1;
		return rows_decode(r, c, kind);
	}
	if (!par.started) {
		if (pthread_create(&par.thread, NULL, par_main, NULL) != 0) {
			log_warn("a second formatting thread");
			par.on = false;
			return rows_decode(r, c, kind);
		}
		pthread_detach(par.thread);
		par.started = true;
	}
	if (par.given &&
	    !atomic_load_explicit(&par.busy, memory_order_acquire) &&
	    par_join(r) == -1)
		return -1;
	if (!par.given) {
		par_give(r, c, kind);
		return 0;
	}
	return par_beside(r, c, kind);
}

static void
par_free_bufs(struct par_bufs *b)
{
	int i;

	free(b->out.buf);
	free(b->scratch.buf);
	free(b->inflated.buf);
	for (i = 0; i < 2; i++) {
		free(b->img[i].buf);
		free(b->spans[i]);
	}
	for (i = 0; i < 3; i++)
		free(b->jd[i].buf);
	memset(b, 0, sizeof(*b));
}

/* Before the reader's buffers and table maps go: no job may use them. */
void
par_release(void)
{
	if (par.given)
		par_take_back();
	par_free_bufs(&par.bufs);
	par_free_bufs(&par.side);
	free(par.ev.buf);
	free(par.query.buf);
	memset(&par.ev, 0, sizeof(par.ev));
	memset(&par.query, 0, sizeof(par.query));
}
