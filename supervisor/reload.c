/*
 * Reload (aoectl reload, SIGHUP): re-read the configuration file and check
 * it against the host.  An invalid file is refused with its FILE:LINE
 * reason and the running configuration keeps serving.  A valid file equal
 * to the running one is a successful no-op.  Applying a changed file at run
 * time (adding, removing and changing exports and NICs) is not done yet: it
 * is refused as well, saying that a restart applies it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "supervisor.h"

/* the canonical text of a configuration, for comparison */
static char *
reload_canonical(const struct conf *c)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	conf_print(c, fp);
	if (fclose(fp) == EOF)
		fatal("open_memstream");
	return buf;
}

int
sup_reload(struct sup *s, char *err, size_t errsize)
{
	static struct conf	 next;
	const struct conf	*cur = conf_current();
	char			*a, *b;
	int			 same;

	if (s->config_file == NULL || cur == NULL) {
		snprintf(err, errsize, "no configuration file to reload "
		    "(aoede was started from the command line)");
		return -1;
	}
	conf_init(&next);
	if (conf_parse_file(&next, s->config_file) == -1 || conf_check_host(&next) == -1) {
		snprintf(err, errsize, "%s", next.err);
		return -1;
	}
	/* what the command line overrides stays overridden */
	snprintf(next.control_socket, sizeof(next.control_socket), "%s", cur->control_socket);
	snprintf(next.netd_user, sizeof(next.netd_user), "%s", cur->netd_user);
	snprintf(next.blockd_user, sizeof(next.blockd_user), "%s", cur->blockd_user);
	snprintf(next.state_dir, sizeof(next.state_dir), "%s", cur->state_dir);
	a = reload_canonical(cur);
	b = reload_canonical(&next);
	same = strcmp(a, b) == 0;
	free(a);
	free(b);
	if (same)
		return 0;
	snprintf(err, errsize, "%s changed: applying changes at run time is not "
	    "supported yet; restart aoede to apply them", s->config_file);
	return -1;
}
