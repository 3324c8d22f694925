/*
 * normalize_private.h — helpers the normalize sources share (normalize.c,
 * norm_time.c, norm_phone.c, norm_place.c).  Not for the rest of suqiu:
 * normalize.h is the module's interface.
 */
#ifndef SUQIU_NORMALIZE_PRIVATE_H
#define SUQIU_NORMALIZE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "normalize.h"

/*
 * Decode the code point at s[0] (len > 0 bytes available).  Returns its
 * length, or 0 with *why saying what is wrong (a static string).  The
 * ranges are those of the Unicode standard's table 3-7 (well-formed byte
 * sequences), so overlongs, surrogates and values above U+10FFFF are all
 * refused.
 */
size_t norm_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp,
			const char **why);

/* Encode cp (a valid scalar value) at out; returns the length (1..4). */
size_t norm_utf8_encode(uint32_t cp, char *out);

/*
 * Whether NFC leaves any text made only of such code points as it is: each
 * is a starter (combining class 0) without a canonical decomposition, and
 * no two of them compose.  ASCII, CJK unified ideographs, CJK and general
 * punctuation, full-width forms: most complaints, whose NFC pass norm_text
 * then skips.  (test_normalize checks the three conditions against
 * libunistring's Unicode tables.)
 */
int norm_nfc_stable(uint32_t cp);

/* What norm_text() does with a code point (after full-width folding). */
enum norm_fold { NORM_FOLD_KEEP, NORM_FOLD_SPACE, NORM_FOLD_DROP };
enum norm_fold norm_fold_class(uint32_t cp);

/*
 * Classify s[0..len) as a phone number and write its normalized form to
 * out (NORM_PHONE_MAX bytes).  Returns 0, or -1 when it is not one.  The
 * single parser behind norm_phone(), norm_scrub_phones() and
 * normalize_record(), so that whatever the scrubber masks is exactly what
 * would be recognised as a contact.
 */
int norm_phone_parse(const char *s, size_t len, char *out, enum norm_phone_kind *kind);

/* norm_phone_mask() into out (NORM_PHONE_MAX bytes); 0 or -1. */
int norm_phone_mask_to(const char *normalized, char *out);

#endif
