/*
 * uwidth.h — how many terminal columns UTF-8 text takes, so that tables
 * with Chinese and ASCII line up.
 *
 * wcwidth semantics for printable characters: East Asian Wide and
 * Fullwidth characters (Unicode 15 EastAsianWidth.txt W and F: CJK
 * ideographs, kana, hangul, full-width forms, CJK punctuation, most emoji)
 * take 2 columns, combining marks and zero-width characters 0, everything
 * else 1.  Ambiguous-width characters (…, °, ①) count 1, as wcwidth gives
 * in a UTF-8 locale.  Our own implementation, so output does not depend on
 * the locale the timer or an analyst happens to run in.
 *
 * Bytes that are not valid UTF-8 count one column each: widths stay
 * defined for any input.
 */
#ifndef SUQIU_UWIDTH_H
#define SUQIU_UWIDTH_H

#include <stddef.h>
#include <stdint.h>

/* Columns of one code point: 0, 1 or 2 (controls count 0). */
int uwidth_cp(uint32_t cp);

/*
 * Decode the UTF-8 sequence at s (len > 0 bytes available) into *cp and
 * return its length in bytes (1..4).  An invalid or truncated sequence
 * yields U+FFFD and length 1.
 */
size_t uwidth_decode(const char *s, size_t len, uint32_t *cp);

/* Columns of len bytes of text; of a NUL-terminated string (NULL: 0). */
size_t uwidth_mem(const char *s, size_t len);
size_t uwidth_str(const char *s);

/*
 * The longest prefix of the NUL-terminated s that fits in cols columns,
 * never splitting a character: returns its length in bytes and, when used
 * is not NULL, its width in *used.
 */
size_t uwidth_prefix(const char *s, size_t cols, size_t *used);

#endif
