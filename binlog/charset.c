/* charset.c: text columns in any server character set converted to UTF-8 --
 * collation ids and names to charsets, one iconv converter per charset
 * opened at the first TABLE_MAP that needs it and kept for the process. */
#include <errno.h>
#include <pthread.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "binlog_int.h"

/* Server charset name, glibc iconv name (NULL: UTF-8 already, or our own
 * code), bytes skipped after an invalid sequence (one code unit). */
static struct charset {
	const char	*name;
	const char	*iconv;
	int		 unit;
	iconv_t		 cd;
	bool		 failed;
} charsets[] = {
	[CS_UTF8] =	{ "utf8mb4", NULL, 1 },
	[CS_LATIN1] =	{ "latin1", NULL, 1 },
	[CS_BINARY] =	{ "binary", NULL, 1 },
	[CS_UNKNOWN] =	{ "unknown", NULL, 1 },
	{ "armscii8", "ARMSCII-8", 1 },
	{ "ascii", "ASCII", 1 },
	{ "big5", "BIG5", 1 },
	{ "cp1250", "CP1250", 1 },
	{ "cp1251", "CP1251", 1 },
	{ "cp1256", "CP1256", 1 },
	{ "cp1257", "CP1257", 1 },
	{ "cp850", "CP850", 1 },
	{ "cp852", "CP852", 1 },
	{ "cp866", "CP866", 1 },
	{ "cp932", "CP932", 1 },
	{ "dec8", "DEC-MCS", 1 },
	{ "eucjpms", "EUC-JP-MS", 1 },
	{ "euckr", "EUC-KR", 1 },
	{ "gb18030", "GB18030", 1 },
	{ "gb2312", "EUC-CN", 1 },
	{ "gbk", "GBK", 1 },
	{ "geostd8", "GEORGIAN-PS", 1 },
	{ "greek", "ISO-8859-7", 1 },
	{ "hebrew", "ISO-8859-8", 1 },
	{ "hp8", "HP-ROMAN8", 1 },
	{ "keybcs2", "KEYBCS2", 1 },	/* not in glibc: an error */
	{ "koi8r", "KOI8-R", 1 },
	{ "koi8u", "KOI8-U", 1 },
	{ "latin2", "ISO-8859-2", 1 },
	{ "latin5", "ISO-8859-9", 1 },
	{ "latin7", "ISO-8859-13", 1 },
	{ "macce", "MAC-CENTRALEUROPE", 1 },
	{ "macroman", "MACINTOSH", 1 },
	{ "sjis", "SJIS", 1 },
	{ "swe7", "ISO646-SE", 1 },
	{ "tis620", "TIS-620", 1 },
	{ "ucs2", "UCS-2BE", 2 },
	{ "ujis", "EUC-JP", 1 },
	{ "utf16", "UTF-16BE", 2 },
	{ "utf16le", "UTF-16LE", 2 },
	{ "utf32", "UTF-32BE", 4 },
};
#define NCHARSETS	(sizeof(charsets) / sizeof(charsets[0]))

/* Collation ids below 1024, as MariaDB 10.11's
 * information_schema.COLLATION_CHARACTER_SET_APPLICABILITY lists them,
 * plus MySQL 8's own (76, 248-250, 255-323).  MariaDB's NO PAD collations
 * are these plus 1024; its UCA 14.0 ones are 256-id blocks from 2048 on. */
static const struct {
	uint16_t	 lo, hi;
	const char	*name;
} charset_ids[] = {
	{ 1, 1, "big5" }, { 2, 2, "latin2" }, { 3, 3, "dec8" },
	{ 4, 4, "cp850" }, { 5, 5, "latin1" }, { 6, 6, "hp8" },
	{ 7, 7, "koi8r" }, { 8, 8, "latin1" }, { 9, 9, "latin2" },
	{ 10, 10, "swe7" }, { 11, 11, "ascii" }, { 12, 12, "ujis" },
	{ 13, 13, "sjis" }, { 14, 14, "cp1251" }, { 15, 15, "latin1" },
	{ 16, 16, "hebrew" }, { 18, 18, "tis620" }, { 19, 19, "euckr" },
	{ 20, 20, "latin7" }, { 21, 21, "latin2" }, { 22, 22, "koi8u" },
	{ 23, 23, "cp1251" }, { 24, 24, "gb2312" }, { 25, 25, "greek" },
	{ 26, 26, "cp1250" }, { 27, 27, "latin2" }, { 28, 28, "gbk" },
	{ 29, 29, "cp1257" }, { 30, 30, "latin5" }, { 31, 31, "latin1" },
	{ 32, 32, "armscii8" }, { 33, 33, "utf8mb3" }, { 34, 34, "cp1250" },
	{ 35, 35, "ucs2" }, { 36, 36, "cp866" }, { 37, 37, "keybcs2" },
	{ 38, 38, "macce" }, { 39, 39, "macroman" }, { 40, 40, "cp852" },
	{ 41, 42, "latin7" }, { 43, 43, "macce" }, { 44, 44, "cp1250" },
	{ 45, 46, "utf8mb4" }, { 47, 49, "latin1" }, { 50, 52, "cp1251" },
	{ 53, 53, "macroman" }, { 54, 55, "utf16" }, { 56, 56, "utf16le" },
	{ 57, 57, "cp1256" }, { 58, 59, "cp1257" }, { 60, 61, "utf32" },
	{ 62, 62, "utf16le" }, { 63, 63, "binary" }, { 64, 64, "armscii8" },
	{ 65, 65, "ascii" }, { 66, 66, "cp1250" }, { 67, 67, "cp1256" },
	{ 68, 68, "cp866" }, { 69, 69, "dec8" }, { 70, 70, "greek" },
	{ 71, 71, "hebrew" }, { 72, 72, "hp8" }, { 73, 73, "keybcs2" },
	{ 74, 74, "koi8r" }, { 75, 75, "koi8u" }, { 76, 76, "utf8mb3" },
	{ 77, 77, "latin2" }, { 78, 78, "latin5" }, { 79, 79, "latin7" },
	{ 80, 80, "cp850" }, { 81, 81, "cp852" }, { 82, 82, "swe7" },
	{ 83, 83, "utf8mb3" }, { 84, 84, "big5" }, { 85, 85, "euckr" },
	{ 86, 86, "gb2312" }, { 87, 87, "gbk" }, { 88, 88, "sjis" },
	{ 89, 89, "tis620" }, { 90, 90, "ucs2" }, { 91, 91, "ujis" },
	{ 92, 93, "geostd8" }, { 94, 94, "latin1" }, { 95, 96, "cp932" },
	{ 97, 98, "eucjpms" }, { 99, 99, "cp1250" }, { 101, 124, "utf16" },
	{ 128, 151, "ucs2" }, { 159, 159, "ucs2" }, { 160, 183, "utf32" },
	{ 192, 215, "utf8mb3" }, { 223, 223, "utf8mb3" },
	{ 224, 247, "utf8mb4" }, { 248, 250, "gb18030" },
	{ 255, 323, "utf8mb4" }, { 576, 578, "utf8mb3" },
	{ 608, 610, "utf8mb4" }, { 640, 642, "ucs2" }, { 672, 674, "utf16" },
	{ 736, 738, "utf32" },
};

static const char *charset_uca1400[] = {
	"utf8mb3", "utf8mb4", "ucs2", "utf16", "utf32"
};

/* Converted text, before JSON escaping: grown, never shrunk; it and the
 * converters are used under charset_mu (parallel.c). */
static struct obuf charset_scratch;
static pthread_mutex_t charset_mu = PTHREAD_MUTEX_INITIALIZER;

/* The server's name of a CS_* charset ("utf8mb4" for utf8mb3 too). */
const char *
charset_name(uint8_t cs)
{
	return cs < NCHARSETS ? charsets[cs].name : "unknown";
}

uint8_t
charset_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return CS_UNKNOWN;
	/* utf8mb3 is a subset of UTF-8: copied as it is */
	if (strcmp(name, "utf8mb3") == 0 || strcmp(name, "utf8") == 0)
		return CS_UTF8;
	for (i = 0; i < NCHARSETS; i++)
		if (strcmp(charsets[i].name, name) == 0)
			return (uint8_t)i;
	return CS_UNKNOWN;
}

uint8_t
charset_by_id(uint64_t id)
{
	size_t i;

	if (id >= 1024 && id < 2048)
		id -= 1024;
	if (id >= 2048 && (id >> 8) - 8 < sizeof(charset_uca1400) /
	    sizeof(charset_uca1400[0]))
		return charset_by_name(charset_uca1400[(id >> 8) - 8]);
	for (i = 0; i < sizeof(charset_ids) / sizeof(charset_ids[0]); i++)
		if (id >= charset_ids[i].lo && id <= charset_ids[i].hi)
			return charset_by_name(charset_ids[i].name);
	return CS_UNKNOWN;
}

/* Opens the converter of each text column's charset, once per process; a
 * charset we cannot convert stops here rather than in wrong text. */
int
charset_columns(struct reader *r, const struct tablemap *tm)
{
	struct charset *cs;
	uint32_t i;

	for (i = 0; i < tm->ncols; i++) {
		cs = &charsets[tm->cols[i].charset];
		if (tm->cols[i].charset == CS_UNKNOWN && !tm->cols[i].is_binary)
			return reader_fail(r, BX_DECODE, "column %s of %s.%s "
			    "has a character set binlogd does not know; "
			    "convert the column to utf8mb4 (TABLE_MAP at "
			    "%s:%llu)", tm->cols[i].name, tm->db, tm->table,
			    r->file, (unsigned long long)r->offset);
		if (cs->iconv == NULL || cs->cd != NULL)
			continue;
		if (!cs->failed &&
		    (cs->cd = iconv_open("UTF-8", cs->iconv)) == (iconv_t)-1) {
			cs->cd = NULL;
			cs->failed = true;
		}
		if (cs->failed)
			return reader_fail(r, BX_DECODE, "column %s of %s.%s is "
			    "in character set %s, which this system's iconv "
			    "cannot convert (%s); convert the column to "
			    "utf8mb4 (TABLE_MAP at %s:%llu)", tm->cols[i].name,
			    tm->db, tm->table, cs->name, cs->iconv, r->file,
			    (unsigned long long)r->offset);
	}
	return 0;
}

/* iconv into the scratch buffer; invalid or truncated input becomes
 * U+FFFD and conversion goes on after it. */
static void
charset_convert(struct charset *cs, const uint8_t *s, size_t n)
{
	struct obuf *b = &charset_scratch;
	char *in = (char *)(uintptr_t)s, *out;
	size_t inleft = n, outleft, skip;

	b->len = 0;
	iconv(cs->cd, NULL, NULL, NULL, NULL);
	while (inleft > 0) {
		obuf_reserve(b, inleft * 2 + 16);
		out = b->buf + b->len;
		outleft = b->cap - b->len;
		if (iconv(cs->cd, &in, &inleft, &out, &outleft) != (size_t)-1) {
			b->len = (size_t)(out - b->buf);
			break;
		}
		b->len = (size_t)(out - b->buf);
		if (errno == E2BIG)
			continue;
		obuf_add(b, "\xef\xbf\xbd", 3);
		skip = errno == EILSEQ && inleft > (size_t)cs->unit ?
		    (size_t)cs->unit : inleft;
		in += skip;
		inleft -= skip;
		iconv(cs->cd, NULL, NULL, NULL, NULL);
	}
}

/* A text value of a column whose charset is neither UTF-8 nor latin1
 * (charset_json, inline), as a JSON string. */
void
charset_json_iconv(struct obuf *o, uint8_t cs, const uint8_t *s, size_t n)
{
	struct charset *c = &charsets[cs];

	if (c->cd == NULL) {		/* charset_columns let it through */
		obuf_json_str(o, s, n);
		return;
	}
	/* one converter per charset, shared by the formatting threads */
	pthread_mutex_lock(&charset_mu);
	charset_convert(c, s, n);
	obuf_json_str(o, (const uint8_t *)charset_scratch.buf,
	    charset_scratch.len);
	pthread_mutex_unlock(&charset_mu);
}

void
charset_free(void)
{
	size_t i;

	for (i = 0; i < NCHARSETS; i++)
		if (charsets[i].cd != NULL) {
			iconv_close(charsets[i].cd);
			charsets[i].cd = NULL;
		}
	free(charset_scratch.buf);
	charset_scratch = (struct obuf){ 0 };
}
