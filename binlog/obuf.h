/* obuf.h: the growable buffer every record is written into, and its
 * writers: digits, JSON strings from UTF-8, latin1 and binary, base64
 * (obuf.c).  Used by the decoder and by every format. */
#ifndef BINLOGD_OBUF_H
#define BINLOGD_OBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A record buffer is handed on (to the sink) once it holds this much. */
#define OBUF_FLUSH_AT	(64 * 1024)

/* The output buffer: one growable buffer reused for every record. */
struct obuf {
	char		*buf;
	size_t		 len;
	size_t		 cap;
};

/* obuf.c */
void	 obuf_grow(struct obuf *, size_t);
/* A string literal, its length known at compile time. */
#define obuf_lit(b, s)	obuf_add((b), "" s, sizeof(s) - 1)
char	*obuf_put_digits(char *, uint64_t, int width);
void	 obuf_digits(struct obuf *, uint64_t, int width);
extern const char obuf_pairs[201];
void	 obuf_printf(struct obuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 obuf_json_str(struct obuf *, const uint8_t *, size_t);
void	 obuf_json_text(struct obuf *, const uint8_t *, size_t);
void	 obuf_json_latin1(struct obuf *, const uint8_t *, size_t);
void	 obuf_base64(struct obuf *, const uint8_t *, size_t);
void	 obuf_base64_bare(struct obuf *, const uint8_t *, size_t);

/* obuf_simd.c: obuf.c's bulk paths at the CPU's best level.  utf8 writes
 * the prefix that is valid UTF-8 escaped (given the room past n +
 * OBUF_SLACK, for escapes), latin1 converts one with nothing to escape,
 * base64 encodes whole groups; each says how much input it took (*out:
 * the bytes written), and may write OBUF_SLACK bytes past its output. */
#define OBUF_SLACK	32
enum { OBUF_SCALAR, OBUF_SSE42, OBUF_AVX2 };
struct obuf_simd_ops {
	const char	*name;
	size_t		(*utf8)(char *, size_t, const uint8_t *, size_t,
			    size_t *);
	size_t		(*latin1)(char *, const uint8_t *, size_t, size_t *);
	size_t		(*base64)(char *, const uint8_t *, size_t);
};
extern const struct obuf_simd_ops *obuf_simd;
int	 obuf_simd_level(int);
size_t	 obuf_escape(char *, uint8_t);

/* Bytes a JSON string holds as they are: printable ASCII but " and \. */
static inline bool
obuf_plain(uint8_t ch)
{
	return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
}

/* The obuf appenders are inline: most values of most rows are a few
 * bytes, and a call per value cost more than the copy. */
static inline void
obuf_reserve(struct obuf *b, size_t n)
{
	if (b->cap - b->len < n)
		obuf_grow(b, n);
}

/* Most copies are a name or a value of a few bytes: n <= 16 in two
 * overlapping moves instead of a call to memcpy (and no read outside
 * [s, s + n)). */
static inline void
obuf_copy_small(char *d, const void *s, size_t n)
{
	const char *c = s;
	uint64_t a8, z8;
	uint32_t a4, z4;

	if (n >= 8) {
		memcpy(&a8, c, 8);
		memcpy(&z8, c + n - 8, 8);
		memcpy(d, &a8, 8);
		memcpy(d + n - 8, &z8, 8);
	} else if (n >= 4) {
		memcpy(&a4, c, 4);
		memcpy(&z4, c + n - 4, 4);
		memcpy(d, &a4, 4);
		memcpy(d + n - 4, &z4, 4);
	} else if (n > 0) {
		d[0] = c[0];
		d[n / 2] = c[n / 2];
		d[n - 1] = c[n - 1];
	}
}

static inline void
obuf_copy(char *d, const void *s, size_t n)
{
	if (n <= 16)
		obuf_copy_small(d, s, n);
	else
		memcpy(d, s, n);
}

static inline void
obuf_add(struct obuf *b, const void *p, size_t n)
{
	obuf_reserve(b, n);
	obuf_copy(b->buf + b->len, p, n);
	b->len += n;
}

/* Past the end of the text obuf_add_over copies, this much is readable. */
#define OBUF_OVER	16

/* As obuf_add, for short text with OBUF_OVER bytes readable past it (a
 * tablemap's keys, record_names): one move of 16 bytes, whatever n is
 * up to that, instead of a choice of moves by its length. */
static inline void
obuf_add_over(struct obuf *b, const void *p, size_t n)
{
	if (n > OBUF_OVER) {
		obuf_add(b, p, n);
		return;
	}
	obuf_reserve(b, OBUF_OVER);
	memcpy(b->buf + b->len, p, OBUF_OVER);
	b->len += n;
}

/* Integers: inline, as they are most values of most rows (the digits
 * are obuf_put_digits's). */
static inline void
obuf_uint(struct obuf *b, uint64_t v)
{
	obuf_reserve(b, 24);
	b->len = (size_t)(obuf_put_digits(b->buf + b->len, v, 1) - b->buf);
}

static inline void
obuf_int(struct obuf *b, int64_t v)
{
	obuf_reserve(b, 24);
	if (v < 0)
		b->buf[b->len++] = '-';
	b->len = (size_t)(obuf_put_digits(b->buf + b->len,
	    v < 0 ? -(uint64_t)v : (uint64_t)v, 1) - b->buf);
}

static inline void
obuf_str(struct obuf *b, const char *s)
{
	obuf_add(b, s, strlen(s));
}

#endif
