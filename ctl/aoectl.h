/*
 * aoectl, the operator's client of the control socket.
 *
 * The CLI is data: aoectl_cmds[] (commands.c) lists each command with its
 * arguments, handler, help and the tables that show its reply; an output
 * vtable (output.c) prints a reply as aligned tables for people or as one
 * JSON object for scripts.
 */
#ifndef AOEDE_CTL_AOECTL_H
#define AOEDE_CTL_AOECTL_H

#include <stdbool.h>
#include <stdio.h>

#include <msgpack.h>

#define AOECTL_DEFAULT_SOCKET	"/run/aoede/control.sock"
#define AOECTL_CONNECT_SEC	5	/* keep retrying a refused connect this long */
#define AOECTL_REPLY_SEC	30	/* wait this long for a reply */

/* How one value of a reply is shown in a text table. */
enum aoectl_fmt {
	FMT_STR,	/* a string as it is */
	FMT_U64,	/* a number */
	FMT_BYTES,	/* a byte count: 1.5 MiB */
	FMT_BOOL,	/* yes / no */
	FMT_LIST,	/* an array of strings: a,b */
	FMT_SECS,	/* seconds: 3d04h, 5m02s */
	FMT_BUSY,	/* key / key2 (two ns counters) as a percentage */
};

struct aoectl_column {
	const char	*heading;
	const char	*key;
	enum aoectl_fmt	 fmt;
	const char	*key2;		/* FMT_BUSY's divisor */
};

/* One table of a reply: the rows are the maps in the array at `key` (a
 * single map makes one row; NULL: the reply itself). */
struct aoectl_view {
	const char			*key;
	const struct aoectl_column	*cols;
	unsigned			 ncols;
};

struct aoectl_cmd;

/* Run a command; its exit status. */
typedef int	aoectl_handler(const struct aoectl_cmd *, int argc, char *argv[]);

struct aoectl_cmd {
	const char		*name;
	const char		*args;		/* for the usage line */
	aoectl_handler		*handler;
	const char		*help;
	const struct aoectl_view *views;
	unsigned		 nviews;
	const char		*done;		/* text output of a reply with no table */
};

/* The output vtable: how a successful reply is printed. */
struct aoectl_output {
	const char	*name;
	void		(*reply)(const struct aoectl_cmd *, const msgpack_object *);
};

extern const struct aoectl_output aoectl_output_text;
extern const struct aoectl_output aoectl_output_json;

/* What the options chose. */
struct aoectl_opts {
	const char			*socket;
	const struct aoectl_output	*out;
};

extern struct aoectl_opts aoectl_opts;
extern const struct aoectl_cmd aoectl_cmds[];
extern const unsigned aoectl_ncmds;

/* aoectl.c */
int	aoectl_main(int argc, char *argv[]);
/* Print "aoectl: " and the message on stderr; returns 1. */
int	aoectl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* client.c: send a request for `cmd` with its arguments, wait for the
 * reply, and hand a successful one to the output; the exit status. */
int	aoectl_request(const struct aoectl_cmd *cmd, int argc, char *argv[]);

/* json.c: write `o` as JSON. */
void	json_emit(FILE *f, const msgpack_object *o);

#endif
