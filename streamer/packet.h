/* packet.h: the binlog dump's packets read straight from the socket. */
#ifndef BINLOGD_PACKET_H
#define BINLOGD_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PACKET_ERR_MAX	512

struct reader;

/* One dump connection's unread bytes: buf[start, end) is what the server
 * sent and nobody has consumed; an event handed out stays valid until the
 * next packet_next().  An event over 4 MiB (PACKET_SPILL_MIN) is handed
 * out from spill.c's mapping instead (spilled). */
struct packet {
	struct reader	*r;		/* told of a spill failure */
	int		 fd;
	int		 timeout_ms;	/* read_timeout */
	uint8_t		*buf;
	size_t		 cap;
	size_t		 start;
	size_t		 end;
	size_t		 next;		/* start after the current event */
	int		 seq;		/* next sequence id, -1 before one */
	bool		 spilled;
	unsigned	 err;		/* 0: end of stream */
	char		 errmsg[PACKET_ERR_MAX];
};

/* Big events go to a file in r's [stream] spill_dir. */
void	 packet_init(struct packet *, struct reader *r, int fd,
	    int timeout_ms);
int	 packet_next(struct packet *, const uint8_t **ev, size_t *len);
void	 packet_free(struct packet *);

#endif
