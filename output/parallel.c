/* parallel.c: rows events formatted on two cores.  The reader queues each
 * rows event (a copy, with a snapshot of the reader) in a ring of jobs; a
 * second thread takes the oldest queued job and formats it into the job's
 * own buffers, and so does the reader while the ring is full or before
 * another event.  The reader hands the jobs' records to the sink in ring
 * order, which is binlog order (a per-record sink's one by one, each
 * with the table and key record.c noted beside it).  A transaction's end goes into the ring
 * too, so the reader can go on to the next one while the thread formats;
 * its records and position are out before the reader waits for the
 * server (packet.c).  Other events first wait for the whole ring
 * (par_sync) -- all but those that only set the reader's state and a
 * TABLE_MAP that maps its table as before (event.c, tablemap.c) -- so
 * that DDL, checkpoints and errors see the stream as one thread made it. */
#include "build.h"		/* SCHED_BATCH, sched_getaffinity */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "output.h"
#include "util.h"

/* What rows_decode writes into, apart from r->out's owner. */
struct par_bufs {
	struct obuf	 out, recs, img[2], scratch, jd[3], inflated;
	struct span	*spans[2];
	size_t		 spans_cap;
	bool		 pending;	/* its records end in an open one */
	size_t		 pending_at;	/* ... which begins there in out */
};

/* One rows event: the reader as its formatting sees it (par_snapshot,
 * on the job's buffers), a copy of the event (the packet buffer moves
 * on), and the formatted records; or the end of a transaction. */
struct par_job {
	bool		 is_end;
	struct trx_end	 end;
	struct reader	 r;
	struct reader_hooks hooks;	/* the owner's, but fail: par_job_fail */
	struct par_bufs	 bufs;
	struct obuf	 query, ev;
	uint32_t	*trx_maps;	/* the reader's when it was queued */
	size_t		 trx_maps_cap;
	int		 kind, rc;
	int		 fail_code;	/* its failure, reported when joined */
	char		 fail_msg[1024];
	_Atomic bool	 done;
};

/* A power of two: the counters below wrap. */
#define PAR_JOBS	16
/* Peak memory must not grow with the events' size, and a job's records
 * and images take a few times its event, kept for the slot's next job:
 * a rows event this big (a row with a big value: servers split rows
 * events at 8 KiB) is formatted by the reader alone, and the ring holds
 * PAR_QUEUE_MAX bytes of events at most.  A job buffer grown past
 * PAR_KEEP_MAX (JSON escapes take up to six bytes a byte) is let go. */
#define PAR_EVENT_MAX	(64 * 1024)
#define PAR_QUEUE_MAX	(256 * 1024)
#define PAR_KEEP_MAX	(256 * 1024)
/* Polls of a thread out of work before it sleeps (a few microseconds):
 * the other is often that close to done, but a longer spin holds a CPU
 * that the other thread or the server may be waiting for. */
#define PAR_SPINS	200

static struct {
	bool		 on;
	bool		 started;
	bool		 failed;	/* a job or its join failed: no more */
	pthread_t	 thread;
	struct par_job	 jobs[PAR_JOBS];
	unsigned	 head;		/* the reader's: oldest job not joined */
	_Atomic unsigned tail;		/* jobs queued so far */
	_Atomic unsigned claimed;	/* jobs a thread has taken so far */
	size_t		 queued;	/* event bytes of jobs not joined */
	pthread_mutex_t	 mu;
	pthread_cond_t	 work, done;
	_Atomic bool	 idle;		/* the thread sleeps on work */
	_Atomic bool	 waiting;	/* the reader sleeps on done */
} par = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
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
	PAR_SWAP(r->recs, b->recs);
	PAR_SWAP(r->scratch, b->scratch);
	PAR_SWAP(r->inflated, b->inflated);
	PAR_SWAP(r->spans_cap, b->spans_cap);
	PAR_SWAP(r->row_pending, b->pending);
	PAR_SWAP(r->row_at, b->pending_at);
	for (i = 0; i < 2; i++) {
		PAR_SWAP(r->img[i], b->img[i]);
		PAR_SWAP(r->spans[i], b->spans[i]);
	}
	for (i = 0; i < 3; i++)
		PAR_SWAP(r->jd[i], b->jd[i]);
}

static void
par_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static struct par_job *
par_job(unsigned n)
{
	return &par.jobs[n % PAR_JOBS];
}

/* Takes the oldest queued job for the calling thread: false if none. */
static bool
par_claim(unsigned *n)
{
	unsigned c = atomic_load(&par.claimed);

	while (c != atomic_load(&par.tail))
		if (atomic_compare_exchange_weak(&par.claimed, &c, c + 1)) {
			*n = c;
			return true;
		}
	return false;
}

static void
par_finish(struct par_job *j)
{
	atomic_store(&j->done, true);
	if (atomic_load(&par.waiting)) {
		pthread_mutex_lock(&par.mu);
		pthread_cond_signal(&par.done);
		pthread_mutex_unlock(&par.mu);
	}
}

/* Formats a claimed job, on whichever thread claimed it. */
static void
par_run(unsigned n)
{
	struct par_job *j = par_job(n);
	struct cursor c;

	if (!j->is_end) {
		cursor_init(&c, (const uint8_t *)j->ev.buf, j->ev.len);
		j->rc = rows_decode(&j->r, &c, j->kind);
		record_job_end(&j->r);
	}
	par_finish(j);
}

/* The thread out of work: polls a while, then sleeps until a job. */
static void
par_idle(void)
{
	int i;

	for (i = 0; i < PAR_SPINS; i++) {
		if (atomic_load_explicit(&par.claimed, memory_order_relaxed) !=
		    atomic_load_explicit(&par.tail, memory_order_acquire))
			return;
		par_pause();
	}
	pthread_mutex_lock(&par.mu);
	atomic_store(&par.idle, true);
	while (atomic_load(&par.claimed) == atomic_load(&par.tail))
		pthread_cond_wait(&par.work, &par.mu);
	atomic_store(&par.idle, false);
	pthread_mutex_unlock(&par.mu);
}

static void *
par_main(void *arg UNUSED)
{
	struct sched_param sp;
	unsigned n;
	int policy;

	/* Woken, the thread must not preempt the reader on a shared CPU:
	 * it is there for a spare core (a refusal costs nothing but that).
	 * A real-time policy (chrt) is kept: there a woken thread does not
	 * preempt one of its priority, and as SCHED_BATCH it would wait
	 * for every other task of the machine. */
	if (pthread_getschedparam(pthread_self(), &policy, &sp) != 0 ||
	    (policy != SCHED_FIFO && policy != SCHED_RR)) {
		sp.sched_priority = 0;
		pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	}
	for (;;)
		if (par_claim(&n))
			par_run(n);
		else
			par_idle();
	return NULL;
}

/* How many CPUs this process may run on: its affinity mask (taskset, a
 * container's cpuset), else those online. */
static long
par_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

/* threads: [stream] decode_threads (binlogcat: 2); a second thread
 * only pays with a second CPU to run on. */
void
par_init(int threads)
{
	par.on = threads > 1 && par_cpus() > 1;
}

/* The reader waits for the oldest job, which the thread is formatting. */
static void
par_wait_head(void)
{
	struct par_job *j = par_job(par.head);
	int i;

	for (i = 0; i < PAR_SPINS; i++) {
		if (atomic_load_explicit(&j->done, memory_order_acquire))
			return;
		par_pause();
	}
	pthread_mutex_lock(&par.mu);
	atomic_store(&par.waiting, true);
	while (!atomic_load(&j->done))
		pthread_cond_wait(&par.done, &par.mu);
	atomic_store(&par.waiting, false);
	pthread_mutex_unlock(&par.mu);
}

/* Lets go of a buffer an event grew big, so that it does not stay. */
static void
par_trim(struct obuf *b)
{
	if (b->cap <= PAR_KEEP_MAX)
		return;
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* ... and of all a job's. */
static void
par_trim_job(struct par_job *j)
{
	struct par_bufs *b = &j->bufs;
	int i;

	par_trim(&j->ev);
	par_trim(&j->query);
	par_trim(&b->out);
	par_trim(&b->recs);
	par_trim(&b->scratch);
	par_trim(&b->inflated);
	for (i = 0; i < 2; i++)
		par_trim(&b->img[i]);
	for (i = 0; i < 3; i++)
		par_trim(&b->jd[i]);
}

/* A transaction's end: its last record marked, its records out, then
 * its position for the sink to report once they are durable. */
static int
par_end(struct reader *r, const struct trx_end *e)
{
	if (record_commit(r, e->have_xid, e->xid) == -1)
		return -1;
	return e->have_pos ? record_publish(r, &e->pos, e->force) : 0;
}

/* A rows job's records after those before them, its buffers back from
 * its snapshot of the reader; record_join may keep its records' buffer
 * until they are written, and give the job another. */
static int
par_join_rows(struct reader *r, struct par_job *j)
{
	int rc;

	par_swap(&j->r, &j->bufs);
	if (j->fail_code != 0)
		r->hooks->fail(r, j->fail_code, j->fail_msg);
	rc = j->rc == -1 || record_join(r, &j->bufs.out, &j->bufs.recs,
	    j->bufs.pending, j->bufs.pending_at) == -1 ? -1 : 0;
	par.queued -= j->ev.len;
	par_trim_job(j);
	return rc;
}

/* The oldest job, done, out of the ring. */
static int
par_join_head(struct reader *r)
{
	struct par_job *j = par_job(par.head);
	int rc;

	rc = j->is_end ? par_end(r, &j->end) : par_join_rows(r, j);
	atomic_store_explicit(&j->done, false, memory_order_relaxed);
	par.head++;
	if (rc == -1)
		par.failed = true;
	return rc;
}

/* Joins the done jobs at the head of the ring. */
static int
par_join_done(struct reader *r)
{
	while (par.head != atomic_load(&par.tail) &&
	    atomic_load_explicit(&par_job(par.head)->done,
	    memory_order_acquire))
		if (par_join_head(r) == -1)
			return -1;
	return 0;
}

/* The reader makes room: formats the oldest queued job itself, or waits
 * for the thread's; then joins what is done. */
static int
par_advance(struct reader *r)
{
	unsigned n;

	if (par_claim(&n))
		par_run(n);
	else
		par_wait_head();
	return par_join_done(r);
}

/* One step towards an empty ring, for a reader with nothing else to
 * do: 1 once it is empty, 0 after a job was joined or formatted. */
int
par_step(struct reader *r)
{
	if (par.failed || par_join_done(r) == -1)
		return -1;
	if (par.head == atomic_load(&par.tail))
		return 1;
	return par_advance(r) == -1 ? -1 : 0;
}

/* Before any other event: every rows event's records are in r->out or
 * with the sink. */
int
par_sync(struct reader *r)
{
	int rc;

	while ((rc = par_step(r)) == 0)
		;
	return rc == 1 ? 0 : -1;
}

/* Waits until the ring has room for a job with len bytes of event. */
static int
par_room(struct reader *r, size_t len)
{
	if (par.failed || par_join_done(r) == -1)
		return -1;
	while (par.head != atomic_load(&par.tail) &&
	    (atomic_load(&par.tail) - par.head == PAR_JOBS ||
	    par.queued + len > PAR_QUEUE_MAX))
		if (par_advance(r) == -1)
			return -1;
	return 0;
}

/* Makes job n the newest of the ring, waking the thread if it sleeps. */
static void
par_publish(unsigned n)
{
	atomic_store(&par.tail, n + 1);
	if (atomic_load(&par.idle)) {
		pthread_mutex_lock(&par.mu);
		pthread_cond_signal(&par.work);
		pthread_mutex_unlock(&par.mu);
	}
}

/* b holds a copy of n bytes at p (a buffer never grown has no bytes
 * to append to: nothing is appended to it). */
static void
par_copy(struct obuf *b, const void *p, size_t n)
{
	b->len = 0;
	if (n > 0)
		obuf_add(b, p, n);
}

/* reader_hooks.fail of a job's reader: kept with the job and reported
 * when it is joined, in binlog order -- the first failure reported is
 * the first failing event's, whichever thread failed first. */
static void
par_job_fail(struct reader *w, int code, const char *msg)
{
	struct par_job *j = (struct par_job *)(void *)((char *)w -
	    offsetof(struct par_job, r));

	if (j->fail_code == 0) {
		j->fail_code = code;
		strlcpy_(j->fail_msg, msg, sizeof(j->fail_msg));
	}
}

/*
 * The reader as a job's formatting sees it: these fields of r at the
 * event and nothing else (the job's own buffers are swapped in after).
 * rows_decode, the record writer, the formats and the owner's hooks read
 * no other field of the reader; one they come to read must be copied
 * here (testdata.sh and fixtures.sh read every decoder path on two
 * threads).  The maps are
 * shared, the list of the transaction's (trx_maps) is the job's own:
 * the reader waits for the ring before it decodes into a map's slot
 * (tablemap_decode), but not before a transaction takes up a map
 * again; and the hooks and configuration do not change.
 */
static void
par_snapshot(struct reader *w, const struct reader *r,
    const struct obuf *query)
{
	memset(w, 0, sizeof(*w));
	w->conf = r->conf;
	w->owner = r->owner;		/* for the hooks: offline_fail */
	w->hooks = r->hooks;
	w->maps = r->maps;
	w->trx_maps = r->trx_maps;
	w->nmaps = r->nmaps;
	w->maps_cap = r->maps_cap;
	w->mariadb = r->mariadb;
	w->offline = r->offline;
	memcpy(w->post_header, r->post_header, sizeof(w->post_header));
	w->npost_header = r->npost_header;
	w->hdr = r->hdr;
	memcpy(w->file, r->file, sizeof(w->file));
	w->offset = r->offset;
	w->event_no = r->event_no;
	w->have_gtid = r->have_gtid;
	memcpy(w->gtid_text, r->gtid_text, sizeof(w->gtid_text));
	w->trx_ts = r->trx_ts;
	w->query = *query;
	w->detached = true;
}

/* The job's copy of the transaction's list of maps, which the reader
 * goes on to change. */
static void
par_copy_maps(struct par_job *j)
{
	uint32_t *m;

	if (j->r.nmaps > j->trx_maps_cap) {
		if ((m = realloc(j->trx_maps, j->r.nmaps * sizeof(*m))) ==
		    NULL)
			fatal("a job's table maps");
		j->trx_maps = m;
		j->trx_maps_cap = j->r.nmaps;
	}
	if (j->r.nmaps > 0)
		memcpy(j->trx_maps, j->r.trx_maps,
		    j->r.nmaps * sizeof(*j->trx_maps));
	j->r.trx_maps = j->trx_maps;
}

/* Copies the rows event at c, and what of the reader its formatting
 * reads, into the next job. */
static void
par_queue(struct reader *r, const struct cursor *c, int kind)
{
	unsigned n = atomic_load(&par.tail);
	struct par_job *j = par_job(n);

	j->is_end = false;
	par_copy(&j->ev, c->p + c->off, c->len - c->off);
	par_copy(&j->query, r->query.buf, r->query.len);
	par_snapshot(&j->r, r, &j->query);
	par_copy_maps(j);
	j->hooks = *r->hooks;
	j->hooks.fail = par_job_fail;
	j->r.hooks = &j->hooks;
	j->fail_code = 0;
	j->bufs.out.len = 0;
	j->bufs.recs.len = 0;
	j->bufs.pending = false;
	par_swap(&j->r, &j->bufs);
	j->kind = kind;
	par.queued += j->ev.len;
	par_publish(n);
}

/*
 * A transaction ended: after its records, if rows are still being
 * formatted, so that the reader goes on meanwhile -- unless the reader
 * may wait for the server without first handing on what the ring holds
 * (r->sync_before_wait: not through libmariadb's fetch).
 */
int
par_commit(struct reader *r, const struct trx_end *e)
{
	unsigned n;

	if (par.head == atomic_load(&par.tail) || !r->sync_before_wait) {
		if (par_sync(r) == -1)
			return -1;
		return par_end(r, e);
	}
	if (par_room(r, 0) == -1)
		return -1;
	n = atomic_load(&par.tail);
	par_job(n)->is_end = true;
	memcpy(&par_job(n)->end, e, offsetof(struct trx_end, pos));
	if (e->have_pos)
		position_copy(&par_job(n)->end.pos, &e->pos);
	par_publish(n);
	return 0;
}

static bool
par_start(void)
{
	if (par.started)
		return true;
	if (pthread_create(&par.thread, NULL, par_main, NULL) != 0) {
		log_err("a second formatting thread");
		par.on = false;
		return false;
	}
	pthread_detach(par.thread);
	par.started = true;
	return true;
}

/*
 * A rows event: into the ring, once there is room in it.  Not when the
 * records must go out as they are made (record_joinable), nor for an
 * event over PAR_EVENT_MAX (which a value long enough to go to the sink
 * in pieces, rows_long, needs anyway), nor inside a TRANSACTION_PAYLOAD
 * (its events share one position, and rows are counted across them).
 */
int
par_rows(struct reader *r, struct cursor *c, int kind)
{
	size_t len = c->len - c->off;

	if (!par.on || !record_joinable(r) || len > PAR_EVENT_MAX ||
	    r->in_payload || !par_start()) {
		if (par_sync(r) == -1)
			return -1;
		return rows_decode(r, c, kind);
	}
	if (par_room(r, len) == -1)
		return -1;
	par_queue(r, c, kind);
	return 0;
}

static void
par_free_bufs(struct par_bufs *b)
{
	int i;

	free(b->out.buf);
	free(b->recs.buf);
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

/* Before the reader's buffers and table maps go: no job may use them.
 * Jobs still queued are dropped (the reader stops or has failed). */
void
par_release(void)
{
	struct par_job *j;
	unsigned n;
	int i;

	while (par_claim(&n))
		par_finish(par_job(n));
	for (; par.head != atomic_load(&par.tail); par.head++) {
		par_wait_head();
		j = par_job(par.head);
		if (!j->is_end)
			par_swap(&j->r, &j->bufs);
		atomic_store(&j->done, false);
	}
	par.queued = 0;
	par.failed = false;
	record_forget();	/* pieces of the jobs' buffers */
	for (i = 0; i < PAR_JOBS; i++) {
		j = &par.jobs[i];
		par_free_bufs(&j->bufs);
		free(j->ev.buf);
		free(j->query.buf);
		free(j->trx_maps);
		j->trx_maps = NULL;
		j->trx_maps_cap = 0;
		memset(&j->ev, 0, sizeof(j->ev));
		memset(&j->query, 0, sizeof(j->query));
	}
}
