#include "record.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "banned.h"

static const char *const kind_names[SQ_KIND_LAST] = {
	"complaint", "report", "help", "inquiry", "suggestion", "praise",
};

static const char *const status_names[SQ_STATUS_LAST] = {
	"open", "in_progress", "resolved", "closed", "rejected", "withdrawn", "void",
};

void record_release(struct sq_record *r)
{
	size_t i;

	free(r->source);
	free(r->source_type);
	free(r->source_id);
	free(r->channel);
	free(r->title);
	free(r->text);
	free(r->category);
	free(r->category_raw);
	free(r->street);
	free(r->community);
	free(r->grid);
	free(r->address);
	free(r->contact_raw);
	free(r->contact_hash);
	free(r->contact_masked);
	free(r->status_raw);
	free(r->satisfaction);
	free(r->handler);
	for (i = 0; i < r->nlinks; i++) {
		free(r->links[i].kind);
		free(r->links[i].target_type);
		free(r->links[i].target_id);
	}
	free(r->links);
	free(r->raw);
	memset(r, 0, sizeof(*r));
}

int record_add_link(struct sq_record *r, const char *kind,
		    const char *target_type, const char *target_id)
{
	struct sq_link *links, *l;

	links = realloc(r->links, (r->nlinks + 1) * sizeof(*links));
	if (!links)
		return SQ_ENOMEM;
	r->links = links;
	l = &links[r->nlinks];
	l->kind = sq_strdup(kind);
	l->target_type = sq_strdup(target_type);
	l->target_id = sq_strdup(target_id);
	if (!l->kind || !l->target_type || !l->target_id) {
		free(l->kind);
		free(l->target_type);
		free(l->target_id);
		return SQ_ENOMEM;
	}
	r->nlinks++;
	return SQ_OK;
}

const char *record_kind_name(enum sq_kind k)
{
	return (unsigned)k < SQ_KIND_LAST ? kind_names[k] : "complaint";
}

const char *record_status_name(enum sq_status s)
{
	return (unsigned)s < SQ_STATUS_LAST ? status_names[s] : "open";
}

static int lookup(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; name && i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int record_kind_parse(const char *name)
{
	return lookup(kind_names, SQ_KIND_LAST, name);
}

int record_status_parse(const char *name)
{
	return lookup(status_names, SQ_STATUS_LAST, name);
}

int record_status_is_open(enum sq_status s)
{
	return s == SQ_STATUS_OPEN || s == SQ_STATUS_IN_PROGRESS;
}
