/* offline.h: the decoder's owner with no server (offline.c): binlogcat,
 * the decoder's unit tests and its fuzz target. */
#ifndef BINLOGD_OFFLINE_H
#define BINLOGD_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binlog.h"

/* How decoding ended: the first failure, with its exit code. */
struct offline_result {
	bool		 finished;
	int		 exit_code;
	char		 error[1024];
};

/* A binlog file begins with 4 magic bytes. */
#define OFFLINE_MAGIC	4

void	 offline_init(struct reader *, struct offline_result *);
int	 offline_file(struct reader *, const uint8_t *, size_t);
int	 offline_fd(struct reader *, int fd);
void	 offline_reset(struct reader *);
/* Changes without rows seen: [0] statement-logged, [1] incidents. */
extern uint64_t offline_unrowed[2];

#endif
