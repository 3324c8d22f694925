/*
 * flag.h — the life of an early-warning flag (DESIGN.md, "Early warning").
 *
 * A detector's finding becomes a flag: kind, severity, a plain-Chinese
 * summary, members (complaints, and through them incidents), a stable cause
 * key and a history.  States:
 *
 *     open ──(alert mail sent)──▶ notified ──(ack)──▶ acknowledged
 *       ▲                            │                     │
 *       └──────(escalates: new revision, mail again)───────┘
 *     any state but closed ──(close, or quiet for detect.flag_quiet)──▶ closed
 *
 * A later poll adds members to the flag that is not closed for the same
 * cause instead of opening another; growing past the next size threshold
 * is an escalation (revision + 1) and is mailed again.  The store keeps
 * the rows; this module names things and enforces the transitions that
 * people make (ack, close).
 */
#ifndef SUQIU_FLAG_H
#define SUQIU_FLAG_H

#include <stdint.h>

#include "error.h"

struct sq_store;

enum flag_kind {
	FLAG_CLUSTER = 0,
	FLAG_SURGE,
	FLAG_SPACETIME,
	FLAG_COMMON_CAUSE,
	FLAG_URGENT,
	FLAG_OVERDUE,
	FLAG_KIND_LAST
};

enum flag_state { FLAG_OPEN = 0, FLAG_NOTIFIED, FLAG_ACKNOWLEDGED, FLAG_CLOSED, FLAG_STATE_LAST };

enum flag_severity { FLAG_LOW = 0, FLAG_MEDIUM, FLAG_HIGH, FLAG_SEVERITY_LAST };

/* Stable lowercase names used in the database and in JSON ("common_cause"). */
const char *flag_kind_name(enum flag_kind k);
const char *flag_state_name(enum flag_state s);
const char *flag_severity_name(enum flag_severity s);

/* Parse those names back; -1 when unknown. */
int flag_kind_parse(const char *name);
int flag_state_parse(const char *name);
int flag_severity_parse(const char *name);

/* Chinese labels for mail and text output ("聚集", "高"). */
const char *flag_kind_label(enum flag_kind k);
const char *flag_severity_label(enum flag_severity s);
const char *flag_state_label(enum flag_state s);

/*
 * Display name of a common-taxonomy category key ("noise" -> "噪声"), for
 * summaries and mail; the key itself when unknown, "未分类" for NULL.
 * (The taxonomy file's own display names, when loaded, take precedence in
 * listings; these cover the keys of docs/GEOGRAPHY.md.)
 */
const char *flag_category_label(const char *category);

/*
 * A duty officer acknowledges flag id (open or notified; acknowledging an
 * acknowledged flag only adds the note).  SQ_ENOTFOUND for no such flag,
 * SQ_EUSAGE for a closed one.  Runs its own transaction.
 */
sq_err flag_ack(struct sq_store *st, int64_t id, const char *note, int64_t now,
		struct sq_error *err);

/* Close flag id (any state but closed; closing twice is SQ_EUSAGE). */
sq_err flag_close(struct sq_store *st, int64_t id, const char *note, int64_t now,
		  struct sq_error *err);

#endif
