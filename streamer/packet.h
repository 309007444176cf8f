/* packet.h: the binlog dump's packets read straight from the socket. */
#ifndef BINLOGD_PACKET_H
#define BINLOGD_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define PACKET_ERR_MAX	512

/* One dump connection's unread bytes: buf[start, end) is what the server
 * sent and nobody has consumed; an event handed out stays valid until the
 * next packet_next(). */
struct packet {
	int		 fd;
	int		 timeout_ms;	/* read_timeout */
	uint8_t		*buf;
	size_t		 cap;
	size_t		 start;
	size_t		 end;
	size_t		 next;		/* start after the current event */
	int		 seq;		/* next sequence id, -1 before one */
	unsigned	 err;		/* 0: end of stream */
	char		 errmsg[PACKET_ERR_MAX];
};

void	 packet_init(struct packet *, int fd, int timeout_ms);
int	 packet_next(struct packet *, const uint8_t **ev, size_t *len);
void	 packet_free(struct packet *);

#endif
