/*
 * The benchmark's floor: the least work any importer of these pages must
 * do — read each page, parse it with cJSON, insert each work order into a
 * bare SQLite table with one prepared statement, all in one transaction.
 * suqiu's import is measured against this in the same run.
 *
 * With --fts the same rows also go into an FTS5 trigram index over title,
 * text and address, row by row in the same transaction (suqiu's store adds
 * a transaction's complaints in one statement at commit): the cost of
 * the search index alone, which any importer that offers search pays.
 *
 *     floor [--fts] DB PAGE...
 */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)size + 1)) && fread(buf, 1, (size_t)size, f) == (size_t)size) {
		buf[size] = '\0';
		*len = (size_t)size;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Step a bound statement; 0 when it is done. */
static int step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc != SQLITE_DONE;
}

static long insert_page(sqlite3_stmt *ins, sqlite3_stmt *fts, const char *body, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *list, *item;
	long n = 0;

	if (!root)
		return -1;
	list = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "data"), "list");
	cJSON_ArrayForEach(item, list) {
		sqlite3_bind_text(ins, 1, str(item, "orderNo"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, str(item, "updateTime"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, str(item, "title"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, str(item, "content"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, str(item, "address"), -1, SQLITE_STATIC);
		if (step(ins))
			n = -1000000000;
		if (fts) {
			sqlite3_bind_int64(fts, 1, sqlite3_last_insert_rowid(sqlite3_db_handle(ins)));
			sqlite3_bind_text(fts, 2, str(item, "title"), -1, SQLITE_STATIC);
			sqlite3_bind_text(fts, 3, str(item, "content"), -1, SQLITE_STATIC);
			sqlite3_bind_text(fts, 4, str(item, "address"), -1, SQLITE_STATIC);
			if (step(fts))
				n = -1000000000;
		}
		n++;
	}
	cJSON_Delete(root);
	return n;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *ins, *fts = NULL;
	long total = 0;
	int with_fts = argc > 1 && !strcmp(argv[1], "--fts");
	int i;

	argv += with_fts;
	argc -= with_fts;
	if (argc < 3) {
		fputs("usage: floor [--fts] DB PAGE...\n", stderr);
		return 2;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS t (id TEXT, updated TEXT, title TEXT,"
			 " text TEXT, address TEXT); BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins, NULL) != SQLITE_OK ||
	    (with_fts &&
	     (sqlite3_exec(db, "CREATE VIRTUAL TABLE IF NOT EXISTS f USING fts5(title, text, address,"
			   " content = 't', tokenize = 'trigram')", NULL, NULL, NULL) != SQLITE_OK ||
	      sqlite3_prepare_v2(db, "INSERT INTO f (rowid, title, text, address)"
				 " VALUES (?1, ?2, ?3, ?4)", -1, &fts, NULL) != SQLITE_OK))) {
		fprintf(stderr, "floor: %s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	for (i = 2; i < argc; i++) {
		size_t len = 0;
		char *body = slurp(argv[i], &len);
		long n = body ? insert_page(ins, fts, body, len) : -1;

		free(body);
		if (n < 0) {
			fprintf(stderr, "floor: %s: unreadable page\n", argv[i]);
			return 1;
		}
		total += n;
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(fts);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "floor: commit: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_close(db);
	printf("%ld\n", total);
	return 0;
}
