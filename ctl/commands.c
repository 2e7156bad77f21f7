/*
 * aoectl's commands, as data: each one's arguments, handler, help, and the
 * tables that show its reply to people.  A command of the protocol also
 * needs its entry in proto/ctlproto.c (arguments, access) and its handler
 * in supervisor/control.c.
 */
#include <stdio.h>
#include <string.h>

#include "aoectl.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define VIEW(key, cols)	{ key, cols, NELEM(cols) }

static int	aoectl_cmd_help(const struct aoectl_cmd *, int, char *[]);
static int	aoectl_cmd_export(const struct aoectl_cmd *, int, char *[]);
static int	aoectl_cmd_state_clear(const struct aoectl_cmd *, int, char *[]);

/* --- status ------------------------------------------------------------- */

static const struct aoectl_column status_daemon[] = {
	{ "AOEDE", "state", FMT_STR, NULL },
	{ "PID", "pid", FMT_U64, NULL },
	{ "UPTIME", "uptime_s", FMT_SECS, NULL },
	{ "BUSY-POLL-US", "busy_poll_us", FMT_U64, NULL },
};

static const struct aoectl_column status_exports[] = {
	{ "EXPORT", "export", FMT_STR, NULL },
	{ "PATH", "path", FMT_STR, NULL },
	{ "SIZE", "size_bytes", FMT_BYTES, NULL },
	{ "SECTORS", "sectors", FMT_U64, NULL },
	{ "NICS", "nics", FMT_LIST, NULL },
	{ "DURABILITY", "durability", FMT_STR, NULL },
	{ "READ-ONLY", "read_only", FMT_BOOL, NULL },
	{ "FREEZE", "freeze", FMT_STR, NULL },
};

static const struct aoectl_column status_processes[] = {
	{ "PROCESS", "name", FMT_STR, NULL },
	{ "PID", "pid", FMT_U64, NULL },
	{ "UID", "uid", FMT_U64, NULL },
	{ "STATE", "state", FMT_STR, NULL },
	{ "UPTIME", "uptime_s", FMT_SECS, NULL },
	{ "RESTARTS", "restarts", FMT_U64, NULL },
};

static const struct aoectl_column status_nics[] = {
	{ "NIC", "name", FMT_STR, NULL },
	{ "MTU", "mtu", FMT_U64, NULL },
	{ "MAC", "mac", FMT_STR, NULL },
	{ "STATE", "state", FMT_STR, NULL },
};

static const struct aoectl_view status_views[] = {
	VIEW(NULL, status_daemon),
	VIEW("exports", status_exports),
	VIEW("processes", status_processes),
	VIEW("nics", status_nics),
};

/* --- stats -------------------------------------------------------------- */

static const struct aoectl_column stats_exports[] = {
	{ "EXPORT", "export", FMT_STR, NULL },
	{ "READS", "reads", FMT_U64, NULL },
	{ "WRITES", "writes", FMT_U64, NULL },
	{ "READ", "read_bytes", FMT_BYTES, NULL },
	{ "WRITTEN", "write_bytes", FMT_BYTES, NULL },
	{ "FLUSHES", "flushes", FMT_U64, NULL },
	{ "FSYNCS", "fsyncs", FMT_U64, NULL },
	{ "IDENTIFIES", "identifies", FMT_U64, NULL },
	{ "CFG", "cfg_queries", FMT_U64, NULL },
	{ "P50_US", "lat_p50_us", FMT_U64, NULL },
	{ "P99_US", "lat_p99_us", FMT_U64, NULL },
	{ "P99.9_US", "lat_p999_us", FMT_U64, NULL },
};

static const struct aoectl_column stats_export_errors[] = {
	{ "EXPORT", "export", FMT_STR, NULL },
	{ "ERR_RANGE", "err_range", FMT_U64, NULL },
	{ "ERR_RDONLY", "err_rdonly", FMT_U64, NULL },
	{ "ERR_IO", "err_io", FMT_U64, NULL },
	{ "ERR_BADARG", "err_badarg", FMT_U64, NULL },
	{ "ERR_UNSUPP", "err_unsupported", FMT_U64, NULL },
	{ "ERR_RESERVED", "err_reserved", FMT_U64, NULL },
	{ "MASKED", "dropped_mask", FMT_U64, NULL },
};

static const struct aoectl_column stats_export_freeze[] = {
	{ "EXPORT", "export", FMT_STR, NULL },
	{ "FREEZE", "freeze", FMT_STR, NULL },
	{ "SHADOW", "shadow_bytes", FMT_BYTES, NULL },
	{ "SHADOW_SECTORS", "shadow_sectors", FMT_U64, NULL },
	{ "MERGED", "merge_done", FMT_U64, NULL },
	{ "OF", "merge_total", FMT_U64, NULL },
	{ "MERGE_%", "merge_percent", FMT_U64, NULL },
	{ "SHADOW_ERR", "shadow_errors", FMT_U64, NULL },
};

static const struct aoectl_column stats_nics[] = {
	{ "NIC", "name", FMT_STR, NULL },
	{ "FRAMES_IN", "frames_in", FMT_U64, NULL },
	{ "FRAMES_OUT", "frames_out", FMT_U64, NULL },
	{ "BYTES_IN", "bytes_in", FMT_BYTES, NULL },
	{ "BYTES_OUT", "bytes_out", FMT_BYTES, NULL },
	{ "RING_FULL", "ring_full", FMT_U64, NULL },
	{ "SEND_ERR", "send_errors", FMT_U64, NULL },
	{ "BUFS_FREE", "buffers_free", FMT_U64, NULL },
};

static const struct aoectl_column stats_nic_drops[] = {
	{ "NIC", "name", FMT_STR, NULL },
	{ "DROP_SHORT", "drop_short", FMT_U64, NULL },
	{ "DROP_TYPE", "drop_type", FMT_U64, NULL },
	{ "DROP_RESP", "drop_response", FMT_U64, NULL },
	{ "DROP_VERSION", "drop_version", FMT_U64, NULL },
	{ "DROP_NOTOURS", "drop_notours", FMT_U64, NULL },
	{ "DROP_NOBUF", "drop_nobuf", FMT_U64, NULL },
	{ "TX_BAD_DESC", "tx_bad_desc", FMT_U64, NULL },
};

static const struct aoectl_column stats_processes[] = {
	{ "PROCESS", "name", FMT_STR, NULL },
	{ "PID", "pid", FMT_U64, NULL },
	{ "LOOPS", "loops", FMT_U64, NULL },
	{ "BUSY", "busy_ns", FMT_BUSY, "uptime_ns" },
	{ "STATS_AGE_MS", "stats_age_ms", FMT_U64, NULL },
};

static const struct aoectl_column stats_control[] = {
	{ "CONTROL_CONNS", "connections", FMT_U64, NULL },
	{ "ACCEPTED", "accepted", FMT_U64, NULL },
	{ "REFUSED_BUSY", "refused_busy", FMT_U64, NULL },
	{ "REFUSED_PERM", "refused_perm", FMT_U64, NULL },
	{ "CLOSED_BAD", "closed_bad", FMT_U64, NULL },
	{ "CLOSED_IDLE", "closed_idle", FMT_U64, NULL },
	{ "REQUESTS", "requests", FMT_U64, NULL },
};

static const struct aoectl_view stats_views[] = {
	VIEW("exports", stats_exports),
	VIEW("exports", stats_export_errors),
	VIEW("exports", stats_export_freeze),
	VIEW("nics", stats_nics),
	VIEW("nics", stats_nic_drops),
	VIEW("processes", stats_processes),
	VIEW("control", stats_control),
};

/* --- export list --------------------------------------------------------- */

static const struct aoectl_column export_list_columns[] = {
	{ "EXPORT", "export", FMT_STR, NULL },
	{ "PATH", "path", FMT_STR, NULL },
	{ "NICS", "nics", FMT_LIST, NULL },
	{ "SIZE", "size_bytes", FMT_BYTES, NULL },
	{ "READ-ONLY", "read_only", FMT_BOOL, NULL },
	{ "DURABILITY", "durability", FMT_STR, NULL },
};

static const struct aoectl_view export_list_views[] = {
	VIEW("exports", export_list_columns),
};

/* "aoectl export list": the protocol's export-list */
static int
aoectl_cmd_export(const struct aoectl_cmd *cmd, int argc, char *argv[])
{
	struct aoectl_cmd	 list = *cmd;

	/* "aoectl export list --json" reads as well as "aoectl --json …" */
	if (argc == 2 && (strcmp(argv[1], "--json") == 0 || strcmp(argv[1], "-j") == 0)) {
		aoectl_opts.out = &aoectl_output_json;
		argc--;
	}
	if (argc != 1 || strcmp(argv[0], "list") != 0) {
		fprintf(stderr, "usage: aoectl [--json] export list\n");
		return 2;
	}
	list.name = "export-list";
	return aoectl_request(&list, 0, NULL);
}

/* --- the AoE state -------------------------------------------------------- */

static const struct aoectl_column state_columns[] = {
	{ "CONFIG", "config", FMT_STR, NULL },
	{ "MASKS", "masks", FMT_LIST, NULL },
	{ "RESERVE", "reserve", FMT_LIST, NULL },
};

static const struct aoectl_view state_views[] = {
	VIEW(NULL, state_columns),
};

/* "aoectl state-clear eS.L [config|masks|reserve|all]": the protocol's
 * state-clear-PART, or state-clear for all */
static int
aoectl_cmd_state_clear(const struct aoectl_cmd *cmd, int argc, char *argv[])
{
	static const char *const parts[] = { "config", "masks", "reserve" };
	struct aoectl_cmd	 clear = *cmd;
	static char		 name[32];
	size_t			 i;

	if (argc == 2 && strcmp(argv[1], "all") != 0) {
		for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			if (strcmp(argv[1], parts[i]) == 0)
				break;
		if (i == sizeof(parts) / sizeof(parts[0])) {
			fprintf(stderr, "aoectl: state-clear: %s is not config, masks, "
			    "reserve or all\n", argv[1]);
			return 2;
		}
		snprintf(name, sizeof(name), "state-clear-%s", parts[i]);
		clear.name = name;
	}
	return aoectl_request(&clear, argc > 1 ? 1 : argc, argv);
}

/* --- the table ---------------------------------------------------------- */

const struct aoectl_cmd aoectl_cmds[] = {
	{ "status", "", aoectl_request,
	    "exports, processes and interfaces",
	    status_views, NELEM(status_views), NULL },
	{ "stats", "[eS.L]", aoectl_request,
	    "counters per export, interface and process (one export: its own)",
	    stats_views, NELEM(stats_views), NULL },
	{ "freeze", "eS.L", aoectl_request,
	    "stop the image changing; writes go to a shadow file",
	    NULL, 0, NULL },
	{ "unfreeze", "eS.L", aoectl_request,
	    "merge the shadow file back into the image (in the background)",
	    NULL, 0, NULL },
	{ "reload", "", aoectl_request,
	    "reload the configuration file",
	    NULL, 0, "reloaded" },
	{ "export", "list", aoectl_cmd_export,
	    "one line per export: path, NICs, size, read-only, durability",
	    export_list_views, NELEM(export_list_views), NULL },
	{ "state", "eS.L", aoectl_request,
	    "the AoE state blockd keeps: config string, mask list, reserve list",
	    state_views, NELEM(state_views), NULL },
	{ "state-clear", "eS.L [config|masks|reserve|all]", aoectl_cmd_state_clear,
	    "clear (and save) part or all of it; all by default",
	    state_views, NELEM(state_views), NULL },
	{ "help", "", aoectl_cmd_help,
	    "this list",
	    NULL, 0, NULL },
};
const unsigned aoectl_ncmds = NELEM(aoectl_cmds);

static int
aoectl_cmd_help(const struct aoectl_cmd *cmd, int argc, char *argv[])
{
	unsigned	 i;
	char		 usage[64];

	printf("usage: aoectl [-S socket] [--json] command [argument]\n\n"
	    "commands:\n");
	for (i = 0; i < aoectl_ncmds; i++) {
		snprintf(usage, sizeof(usage), "%s %s", aoectl_cmds[i].name,
		    aoectl_cmds[i].args);
		printf("  %-18s %s\n", usage, aoectl_cmds[i].help);
	}
	printf("\noptions:\n"
	    "  -S, --socket PATH  the control socket (default %s)\n"
	    "  -j, --json         print the reply as one JSON object\n"
	    "  -h, --help         this list\n", AOECTL_DEFAULT_SOCKET);
	return 0;
}
