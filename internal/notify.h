/*
 * notify.h — alert and digest mail through an outbox (DESIGN.md,
 * "Alerts"; docs/alerts.md and docs/digest.md are the operator's
 * description).
 *
 * notify_enqueue() is called by detect in the transaction that raises or
 * escalates a flag: it writes the flag revision's message (recipients from
 * the duty roster at that moment, subject, plain-text and HTML bodies, a
 * stable Message-ID) to the outbox, so the alert exists exactly when the
 * flag revision does.
 *
 * notify_send() delivers the outbox.  Each row moves pending -> sending ->
 * sent, every step committed on its own: a row is claimed (sending) before
 * the SMTP conversation and marked sent after the server accepted it.  A
 * failed attempt goes back to pending with exponential backoff.  A row
 * found in `sending` longer than alerts.smtp.in_doubt_after belongs to a
 * run that died between claiming and marking: whether the server got it is
 * unknown, so it is sent again with the SAME Message-ID ("at least once,
 * identified": the receiving side can drop the duplicate).  Nothing else
 * is ever sent twice for one flag revision, and nothing is dropped.
 *
 * notify_enqueue_digest() (notify_digest.c) queues a digest that the
 * caller rendered (`digest --mail`) in the same outbox, keyed by its period
 * and layout: queueing the same period again does nothing, so a timer that
 * runs twice mails once, and the sender treats it like an alert — kept
 * through an SMTP outage, retried by the next run that sends.
 *
 * No full phone number reaches a mail: members are shown with the stored
 * masked contact, and any phone-number-like digit run in a title or
 * summary is masked too.
 */
#ifndef SUQIU_NOTIFY_H
#define SUQIU_NOTIFY_H

#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "error.h"

struct sq_store;
struct sq_faults;

/*
 * Queue the alert of flag_id's current revision, inside the caller's
 * transaction.  A revision already queued is left alone.
 */
sq_err notify_enqueue(struct sq_store *st, const struct sq_config *cfg, int64_t flag_id,
		      int64_t now, struct sq_error *err);

struct notify_stats {
	int64_t sent;        /* accepted by the server this run */
	int64_t failed;      /* attempts that failed (rows stay queued) */
	int64_t recovered;   /* rows found in sending and re-queued (in doubt) */
	int64_t pending;     /* rows still queued after the run */
	int64_t next_due;    /* earliest next attempt of those (0: none) */
};

struct notify_send_opts {
	int max_messages;           /* 0: no limit */
	int ignore_backoff;         /* also rows waiting for their retry time (an
				     * operator's `alerts send --now` after a fix) */
	struct sq_faults *faults;   /* may be NULL */
};

/*
 * Deliver the due rows of the outbox at `now`.  opts may be NULL (all due
 * rows, no faults).  Returns SQ_OK when every row tried was sent (or there
 * was nothing to do), SQ_EMAIL when some attempt failed (err names the last
 * failure; the rows stay queued for a later run), or a store error.
 * SQ_ECONFIG when alerts.smtp.url is not configured and something is
 * waiting.  A failure of the server rather than of one message (no
 * connection, TLS, authentication) ends the run: the rest would fail too.
 */
sq_err notify_send(struct sq_store *st, const struct sq_config *cfg, int64_t now,
		   const struct notify_send_opts *opts, struct notify_stats *stats,
		   struct sq_error *err);

/*
 * The duty roster's recipients for a flag in `community` / `category`
 * (either may be NULL) at `now`, in the configured zone: rows on duty
 * (weekday, hour) whose community and category filters admit the flag;
 * if none, the rows whose filters admit it whatever the hour; if none,
 * every row.  Duplicates (ignoring case) removed, roster order kept.
 * *out receives them comma-separated, malloc'd ("" for an empty roster).
 */
sq_err notify_recipients(const struct sq_config *cfg, int64_t now, const char *community,
			 const char *category, char **out, struct sq_error *err);

/*
 * Who receives `digest --mail`: alerts.digest_to, or when that is empty
 * every address of the duty roster (whatever the hour or filters), in
 * order, duplicates (ignoring case) removed.  *out comma-separated,
 * malloc'd ("" when neither names anybody).
 */
sq_err notify_digest_recipients(const struct sq_config *cfg, char **out, struct sq_error *err);

/* A digest to mail, rendered by the caller; strings borrowed. */
struct notify_digest {
	int64_t since, until;       /* the period [since, until) */
	const char *layout;         /* NULL: the summary; else what makes it another report
				     * of the same period ("period", "by community") */
	const char *title;          /* the report's title: "诉求摘要", "诉求年度统计 2024" */
	int title_has_period;       /* the title names the period (--period) */
	const char *text;           /* the text digest: the mail's plain-text part */
	const char *html;           /* the self-contained HTML report: attached */
};

/*
 * The outbox key of d: its period as RFC 3339 in the configured zone,
 * "SINCE/UNTIL", then " " and the layout if any.  Appended to out.
 */
sq_err notify_digest_key(const struct sq_config *cfg, const struct notify_digest *d,
			 struct sq_buf *out);

/*
 * Queue d for recipients (comma-separated; "" resolves them when sending)
 * at now, inside the caller's transaction: Subject "【suqiu 摘要】OFFICE
 * TITLE PERIOD" (office: areas.street, else areas.district), the text part
 * with a closing line, the report attached as suqiu-digest-PERIOD.html,
 * Message-ID "<digest-PERIOD.HASH@suqiu>" fixed by the key and the office.
 * *added is 0 when the key was queued before (nothing changes then).
 */
sq_err notify_enqueue_digest(struct sq_store *st, const struct sq_config *cfg,
			     const struct notify_digest *d, const char *recipients, int64_t now,
			     int *added, struct sq_error *err);

/*
 * Append s with every phone-number-like run masked: a mobile number (11
 * digits from 1, also written 3-4-4 or 3-8 with ' ' or '-') keeps its first
 * 3 and last 4 digits ("138****5678"); a fixed line (7 or 8 digits, with
 * or without an area code 0xx-) and any other run of 7 to 12 digits keep
 * their last 2.  Dates and longer order numbers are left alone.
 */
sq_err notify_mask_phones(struct sq_buf *out, const char *s);

/* *s (may be NULL) replaced by its notify_mask_phones() form; SQ_ENOMEM
 * leaves it as it was. */
sq_err notify_mask_phones_in_place(char **s);

/* The first 6 bytes of SHA-256(text) in lower-case hex, NUL-terminated:
 * the part of a Message-ID that keeps two installations' ids apart. */
sq_err notify_short_hash(const char *text, size_t len, char out[13]);

/*
 * Backoff before attempt n+1 after n failed attempts: base * 2^(n-1)
 * capped at max, plus up to a quarter of it as jitter derived from seed
 * (deterministic, so tests can bound it).  Milliseconds.
 */
int64_t notify_backoff_ms(int64_t attempts, int64_t base_ms, int64_t max_ms, uint64_t seed);

#endif
