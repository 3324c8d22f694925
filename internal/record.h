/*
 * record.h — the common record: one complaint as the rest of suqiu sees it,
 * whatever feed it came from (DESIGN.md, "The common record").
 *
 * A connector fills the raw fields from one feed record; normalize_record()
 * (normalize.h) then folds text, resolves the community and category,
 * converts coordinates and replaces the raw phone number by its keyed hash
 * and masked form.  Strings are owned by the record (malloc'd, UTF-8);
 * NULL means absent.  Times are Unix seconds, UTC; 0 means absent.
 */
#ifndef SUQIU_RECORD_H
#define SUQIU_RECORD_H

#include <stddef.h>
#include <stdint.h>

enum sq_kind {
	SQ_KIND_COMPLAINT = 0,
	SQ_KIND_REPORT,
	SQ_KIND_HELP,
	SQ_KIND_INQUIRY,
	SQ_KIND_SUGGESTION,
	SQ_KIND_PRAISE,
	SQ_KIND_LAST
};

enum sq_status {
	SQ_STATUS_OPEN = 0,
	SQ_STATUS_IN_PROGRESS,
	SQ_STATUS_RESOLVED,
	SQ_STATUS_CLOSED,
	SQ_STATUS_REJECTED,
	SQ_STATUS_WITHDRAWN,
	SQ_STATUS_VOID,
	SQ_STATUS_LAST
};

/* Coordinate reference systems a feed may use; positions are stored in WGS 84. */
enum sq_crs { SQ_CRS_NONE = 0, SQ_CRS_WGS84, SQ_CRS_GCJ02, SQ_CRS_BD09 };

/* A source-declared link: this record repeats or was created from another. */
struct sq_link {
	char *kind;       /* "related" (hotline relatedOrderNo) or "ref" (city_mgmt refOrderNo) */
	char *target_type; /* feed type that owns target_id, e.g. "hotline12345" */
	char *target_id;  /* that feed's own id */
};

struct sq_record {
	char *source;        /* configured source name */
	char *source_type;   /* feed type (connector) of the source */
	char *source_id;     /* the feed's own id; unique within source */
	int64_t received_at; /* when the complaint was made */
	int64_t updated_at;  /* the feed's last update of it */
	enum sq_kind kind;
	char *channel;       /* how it arrived: 电话, 微信, 网站, 留言, 巡查, ... */
	char *title;
	char *text;
	char *category;      /* common taxonomy key, NULL when unmapped */
	char *category_raw;  /* the feed's own label, always kept */
	char *street;
	char *community;     /* resolved community name (config areas), or the feed's */
	char *grid;
	char *address;
	double lat, lon;     /* WGS 84 after normalization */
	enum sq_crs crs;     /* SQ_CRS_NONE: no position */
	char *contact_raw;   /* as the feed gave it; cleared by normalization */
	char *contact_hash;  /* hex HMAC-SHA256 of the normalized number */
	char *contact_masked;/* e.g. 138****5678 */
	enum sq_status status;
	char *status_raw;    /* the feed's own status word */
	int64_t deadline;    /* 0: none */
	char *satisfaction;  /* satisfied, basically_satisfied, dissatisfied, or NULL */
	char *handler;       /* unit handling it, if the feed says */
	struct sq_link *links;
	size_t nlinks;
	char *raw;           /* the feed's JSON for this record, for audit */
};

/* Free every owned field and zero the record. */
void record_release(struct sq_record *r);

/* Append a source-declared link (strings are copied).  0 or SQ_ENOMEM. */
int record_add_link(struct sq_record *r, const char *kind,
		    const char *target_type, const char *target_id);

/* Stable lowercase names used in the database, JSON and CSV. */
const char *record_kind_name(enum sq_kind k);
const char *record_status_name(enum sq_status s);

/* Parse those names back; -1 when unknown. */
int record_kind_parse(const char *name);
int record_status_parse(const char *name);

/* True for statuses that still need work (open, in_progress). */
int record_status_is_open(enum sq_status s);

#endif
