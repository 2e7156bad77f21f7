/*
 * The two outputs of a successful reply: aligned text tables for people
 * (the command's views pick and format the columns), and the whole reply
 * as one JSON object for scripts (every field, under its protocol name).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aoectl.h"
#include "ctlproto.h"

#define CELL_MAX	128
#define TABLE_MAX_COLS	16

struct table {
	unsigned	 ncols, nrows;
	size_t		 width[TABLE_MAX_COLS];
	char		(*cells)[TABLE_MAX_COLS][CELL_MAX];	/* nrows + 1 (headings) */
};

/* --- formatting one value ------------------------------------------------- */

static void
fmt_bytes(uint64_t v, char *buf, size_t size)
{
	static const char	*units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double			 d = v;
	unsigned		 u = 0;

	if (v < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", v);
		return;
	}
	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", d, units[u]);
}

static void
fmt_secs(uint64_t s, char *buf, size_t size)
{
	if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
}

static void
fmt_str(const msgpack_object *o, char *buf, size_t size)
{
	size_t	 i, n = o->via.str.size < size - 1 ? o->via.str.size : size - 1;

	/* a terminal must not receive escape sequences from a path name */
	for (i = 0; i < n; i++) {
		unsigned char	 c = o->via.str.ptr[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : c;
	}
	buf[n] = '\0';
}

static void
fmt_list(const msgpack_object *o, char *buf, size_t size)
{
	char		 item[CELL_MAX];
	size_t		 off = 0;
	uint32_t	 i;

	buf[0] = '\0';
	for (i = 0; i < o->via.array.size && off < size; i++) {
		if (o->via.array.ptr[i].type != MSGPACK_OBJECT_STR)
			continue;
		fmt_str(&o->via.array.ptr[i], item, sizeof(item));
		off += snprintf(buf + off, size - off, "%s%s", off ? "," : "", item);
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
}

/* The text of column `col` in row `row` (a map); "-" when it is missing. */
static void
fmt_cell(const struct aoectl_column *col, const msgpack_object *row, char *buf,
    size_t size)
{
	const msgpack_object	*o = ctl_obj_get(row, col->key), *o2;
	uint64_t		 v;

	snprintf(buf, size, "-");
	if (o == NULL)
		return;
	v = o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? o->via.u64 : 0;
	switch (col->fmt) {
	case FMT_STR:
		if (o->type == MSGPACK_OBJECT_STR)
			fmt_str(o, buf, size);
		break;
	case FMT_U64:
		snprintf(buf, size, "%" PRIu64, v);
		break;
	case FMT_BYTES:
		fmt_bytes(v, buf, size);
		break;
	case FMT_BOOL:
		if (o->type == MSGPACK_OBJECT_BOOLEAN)
			snprintf(buf, size, "%s", o->via.boolean ? "yes" : "no");
		break;
	case FMT_LIST:
		if (o->type == MSGPACK_OBJECT_ARRAY)
			fmt_list(o, buf, size);
		break;
	case FMT_SECS:
		fmt_secs(v, buf, size);
		break;
	case FMT_BUSY:
		o2 = ctl_obj_get(row, col->key2);
		if (o2 != NULL && o2->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o2->via.u64)
			snprintf(buf, size, "%.1f%%", 100.0 * v / o2->via.u64);
		break;
	}
}

/* --- text tables -------------------------------------------------------- */

static void
table_row(struct table *t, unsigned r, const struct aoectl_view *v,
    const msgpack_object *row)
{
	unsigned	 c;
	size_t		 n;

	for (c = 0; c < t->ncols; c++) {
		if (row == NULL)
			snprintf(t->cells[r][c], CELL_MAX, "%s", v->cols[c].heading);
		else
			fmt_cell(&v->cols[c], row, t->cells[r][c], CELL_MAX);
		if ((n = strlen(t->cells[r][c])) > t->width[c])
			t->width[c] = n;
	}
}

static void
table_print(const struct table *t, const struct aoectl_view *v)
{
	unsigned	 r, c;
	bool		 right;

	for (r = 0; r < t->nrows + 1; r++) {
		for (c = 0; c < t->ncols; c++) {
			/* numbers line up on the right, text on the left */
			right = r > 0 && v->cols[c].fmt != FMT_STR &&
			    v->cols[c].fmt != FMT_LIST;
			if (c == t->ncols - 1 && !right)
				printf("%s", t->cells[r][c]);
			else
				printf("%*s%-*s%s", right ? (int)(t->width[c] -
				    strlen(t->cells[r][c])) : 0, "",
				    right ? 0 : (int)t->width[c],
				    t->cells[r][c], c == t->ncols - 1 ? "" : "  ");
		}
		putchar('\n');
	}
}

static void
text_view(const struct aoectl_view *v, const msgpack_object *reply, bool *first)
{
	const msgpack_object	*rows = v->key ? ctl_obj_get(reply, v->key) : reply;
	struct table		 t;
	uint32_t		 i, n;

	if (rows == NULL || (rows->type != MSGPACK_OBJECT_ARRAY &&
	    rows->type != MSGPACK_OBJECT_MAP))
		return;		/* not in this reply (e.g. stats of one export) */
	n = rows->type == MSGPACK_OBJECT_MAP ? 1 : rows->via.array.size;
	memset(&t, 0, sizeof(t));
	t.ncols = v->ncols < TABLE_MAX_COLS ? v->ncols : TABLE_MAX_COLS;
	t.nrows = n;
	if ((t.cells = calloc(n + 1, sizeof(*t.cells))) == NULL) {
		aoectl_fail("out of memory");
		exit(1);
	}
	table_row(&t, 0, v, NULL);
	for (i = 0; i < n; i++)
		table_row(&t, i + 1, v, rows->type == MSGPACK_OBJECT_MAP ? rows :
		    &rows->via.array.ptr[i]);
	if (!*first)
		putchar('\n');
	*first = false;
	table_print(&t, v);
	free(t.cells);
}

static void
text_reply(const struct aoectl_cmd *cmd, const msgpack_object *reply)
{
	const msgpack_object	*msg = ctl_obj_get(reply, "message");
	unsigned		 i;
	bool			 first = true;
	char			 buf[1024];

	for (i = 0; i < cmd->nviews; i++)
		text_view(&cmd->views[i], reply, &first);
	/* a command that says what it did says it in "message" */
	if (msg != NULL && msg->type == MSGPACK_OBJECT_STR) {
		fmt_str(msg, buf, sizeof(buf));
		printf("%s\n", buf);
	} else if (cmd->nviews == 0 && cmd->done != NULL)
		printf("%s\n", cmd->done);
}

static void
json_reply(const struct aoectl_cmd *cmd, const msgpack_object *reply)
{
	json_emit(stdout, reply);
	putchar('\n');
}

const struct aoectl_output aoectl_output_text = { "text", text_reply };
const struct aoectl_output aoectl_output_json = { "json", json_reply };
