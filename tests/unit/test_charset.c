/* test_charset.c: binlog/charset.c -- collation ids as MariaDB 10.11's
 * information_schema lists them, and text in other charsets to JSON UTF-8,
 * with U+FFFD for invalid or truncated input (the expected text from the
 * charsets' code tables: cp1251 0xCF = П, UTF-16BE D83D DE80 = U+1F680). */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "binlog_int.h"
#include "offline.h"
#include "output.h"

static void
check(const char *charset, const char *in, size_t n, const char *want)
{
	struct column col = { .charset = charset_by_name(charset) };
	struct tablemap tm = { .ncols = 1, .cols = &col };
	struct reader r = { 0 };
	struct obuf o = { 0 };

	CHECK_INT(charset_columns(&r, &tm), 0);
	charset_json(&o, col.charset, (const uint8_t *)in, n);
	obuf_add(&o, "", 1);
	CHECK_STR(o.buf, want);
	free(o.buf);
}

static void
test_ids(void)
{
	CHECK_INT(charset_by_id(8), CS_LATIN1);
	CHECK_INT(charset_by_id(1032), CS_LATIN1);	/* latin1 nopad */
	CHECK_INT(charset_by_id(63), CS_BINARY);
	CHECK_INT(charset_by_id(45), CS_UTF8);
	CHECK_INT(charset_by_id(33), CS_UTF8);		/* utf8mb3 */
	CHECK_INT(charset_by_id(2304), CS_UTF8);	/* utf8mb4_uca1400_ai_ci */
	CHECK_INT(charset_by_id(51), charset_by_name("cp1251"));
	CHECK_INT(charset_by_id(2816), charset_by_name("utf16"));
	CHECK_INT(charset_by_id(9999), CS_UNKNOWN);
	CHECK_INT(charset_by_name("nosuch"), CS_UNKNOWN);
}

static void
test_convert(void)
{
	check("cp1251", "\xcf\xf0\xe8\"", 4, "\"При\\\"\"");
	check("cp1251", "a\x98z", 3, "\"a\xef\xbf\xbdz\"");
	check("utf16", "\xd8\x3d\xde\x80", 4, "\"\xf0\x9f\x9a\x80\"");
	check("utf16", "\xd8\x3d\x00\x41", 4, "\"\xef\xbf\xbd" "A\"");
	check("utf16", "\x00\x41\x00", 3, "\"A\xef\xbf\xbd\"");
	check("sjis", "\x82\xa0\x82", 3, "\"あ\xef\xbf\xbd\"");
	check("sjis", "", 0, "\"\"");
}

int
main(void)
{
	RUN(test_ids);
	RUN(test_convert);
	charset_free();
	return tap_done();
}
