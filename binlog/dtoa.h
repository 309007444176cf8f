/* dtoa.h: FLOAT and DOUBLE values as the text that reads back as them. */
#ifndef BINLOGD_DTOA_H
#define BINLOGD_DTOA_H

#include <stddef.h>
#include <stdint.h>

extern const uint64_t pow10_u64[20];

/* Room for any value's text and its NUL, and for the whole blocks
 * dtoa.c copies the digits in. */
#define DTOA_BUFSZ	48

size_t	 dtoa_double(double, char *);
size_t	 dtoa_float(float, char *);

#endif
