/*
 * aoectl [-S socket] [--json] command [argument]: options, then the
 * command's handler from aoectl_cmds[].  Exit status 0 on success, 1 when
 * the command failed (one line on stderr says why), 2 for a usage error.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aoectl.h"

struct aoectl_opts aoectl_opts = {
	AOECTL_DEFAULT_SOCKET, &aoectl_output_text
};

int
aoectl_fail(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fputs("aoectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static const struct aoectl_cmd *
aoectl_lookup(const char *name)
{
	unsigned	 i;

	for (i = 0; i < aoectl_ncmds; i++)
		if (strcmp(aoectl_cmds[i].name, name) == 0)
			return &aoectl_cmds[i];
	return NULL;
}

static int
aoectl_usage(void)
{
	fprintf(stderr, "usage: aoectl [-S socket] [--json] command [argument]\n"
	    "       aoectl --help  lists the commands\n");
	return 2;
}

int
aoectl_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "socket",	required_argument,	NULL, 'S' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const struct aoectl_cmd	*cmd;
	int			 ch;

	while ((ch = getopt_long(argc, argv, "+S:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			aoectl_opts.socket = optarg;
			break;
		case 'j':
			aoectl_opts.out = &aoectl_output_json;
			break;
		case 'h':
			if ((cmd = aoectl_lookup("help")) == NULL)
				return aoectl_usage();
			return cmd->handler(cmd, 0, NULL);
		default:
			return aoectl_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return aoectl_usage();
	if ((cmd = aoectl_lookup(argv[0])) == NULL) {
		aoectl_fail("unknown command %s (aoectl --help lists them)", argv[0]);
		return 2;
	}
	return cmd->handler(cmd, argc - 1, argv + 1);
}
