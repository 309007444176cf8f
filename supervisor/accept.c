/* accept.c: the supervisor's listening sockets (control, metrics) take
 * their clients through here, so that a flood of them cannot starve it.
 * Out of descriptors (EMFILE, ENFILE) the socket stays readable: accepting
 * again at once would spin, so the listener rests ACCEPT_PAUSE seconds, as
 * bgpd's control socket does.  What goes wrong is logged at most once per
 * ACCEPT_LOG_EVERY seconds, with the count since the last line: a client
 * must not be able to fill the log. */
#include "build.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binlogd.h"
#include "log.h"
#include "util.h"

#define ACCEPT_PAUSE		1	/* seconds */
#define ACCEPT_LOG_EVERY	30	/* seconds */

struct acceptor {
	const char	*name;		/* "control", "metrics" */
	struct event	*ev;
	struct event	*resume;
	acceptor_fn	 cb;
	void		*arg;
	/* problems since the last log line, and when that was */
	unsigned	 dropped;
	double		 logged_at;
	bool		 logged;
};

static void
acceptor_resume_cb(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	struct acceptor *a = arg;

	event_add(a->ev, NULL);
}

/* Logs why a client was dropped, unless a line went out less than
 * ACCEPT_LOG_EVERY seconds ago; then it is counted for the next one. */
void
acceptor_drop(struct acceptor *a, const char *why)
{
	double now = mono_now();

	a->dropped++;
	if (a->logged && now - a->logged_at < ACCEPT_LOG_EVERY)
		return;
	if (a->dropped > 1)
		log_warning("%s: %s (%u clients dropped in the last %.0f s; at "
		    "most one line every %d s)", a->name, why, a->dropped,
		    now - a->logged_at, ACCEPT_LOG_EVERY);
	else
		log_warning("%s: %s", a->name, why);
	a->dropped = 0;
	a->logged_at = now;
	a->logged = true;
}

static void
acceptor_pause(struct acceptor *a)
{
	struct timeval tv = { ACCEPT_PAUSE, 0 };
	char why[256];

	snprintf(why, sizeof(why), "accept: %s; not accepting for %d s "
	    "(raise LimitNOFILE or ulimit -n if this is not an attack)",
	    strerror(errno), ACCEPT_PAUSE);
	acceptor_drop(a, why);
	event_del(a->ev);
	evtimer_add(a->resume, &tv);
}

static void
acceptor_cb(evutil_socket_t fd, short ev UNUSED, void *arg)
{
	struct acceptor *a = arg;
	int cfd;

	if ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			acceptor_pause(a);
		else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_err("%s: accept", a->name);
		return;
	}
	a->cb(cfd, a->arg);
}

/* Watches the listening socket fd; cb gets each new client, non-blocking
 * and close-on-exec. */
struct acceptor *
acceptor_new(struct event_base *base, int fd, const char *name,
    acceptor_fn cb, void *arg)
{
	struct acceptor *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("acceptor");
	a->name = name;
	a->cb = cb;
	a->arg = arg;
	a->ev = event_new(base, fd, EV_READ | EV_PERSIST, acceptor_cb, a);
	a->resume = evtimer_new(base, acceptor_resume_cb, a);
	if (a->ev == NULL || a->resume == NULL)
		fatalx("event_new failed");
	event_add(a->ev, NULL);
	return a;
}

void
acceptor_free(struct acceptor *a)
{
	if (a == NULL)
		return;
	event_free(a->ev);
	event_free(a->resume);
	free(a);
}
