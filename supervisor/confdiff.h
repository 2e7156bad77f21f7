/*
 * What a reload changes: the difference between the running configuration
 * and the re-read file, as lists of exports and NICs to remove, add and
 * update (supervisor/reload.c applies it).  Pure: it opens nothing, so the
 * unit tests can feed it any two configurations.
 *
 * Exports are matched by their AoE address (shelf.slot), NICs by name.  An
 * export whose only change is the set of NICs it is served on is "moved"
 * (updated in place, it keeps serving); any other change to an export is a
 * "change", applied as remove + add.  The [global] keys cannot change at
 * run time: conf_diff() refuses a file that changes one, naming the key.
 */
#ifndef AOEDE_SUPERVISOR_CONFDIFF_H
#define AOEDE_SUPERVISOR_CONFDIFF_H

#include "config.h"

#define CONF_DIFF_TEXT_MAX	1024

struct conf_diff {
	/* indexes into the running configuration's exports / NICs */
	unsigned	 removed[SUP_MAX_EXPORTS], nremoved;
	/* indexes into the new configuration's exports */
	unsigned	 added[SUP_MAX_EXPORTS], nadded;
	/* changed: old index and new index of the same shelf.slot */
	unsigned	 changed_old[SUP_MAX_EXPORTS], changed_new[SUP_MAX_EXPORTS];
	unsigned	 nchanged;
	unsigned	 moved_old[SUP_MAX_EXPORTS], moved_new[SUP_MAX_EXPORTS];
	unsigned	 nmoved;
	unsigned	 nic_removed[SUP_MAX_NICS], nnic_removed;	/* old */
	unsigned	 nic_added[SUP_MAX_NICS], nnic_added;		/* new */
};

/* The difference from cur to next: 0, or -1 with the reason in err (a
 * [global] key that cannot change at run time). */
int	conf_diff(const struct conf *cur, const struct conf *next, struct conf_diff *d,
	    char *err, size_t errlen);
/* Nothing to do? */
bool	conf_diff_empty(const struct conf_diff *d);
/* "added e1.4, removed e1.2, changed e1.1, moved e1.3, nic t1 added, nic t2
 * removed" (or "unchanged") into buf. */
void	conf_diff_describe(const struct conf *cur, const struct conf *next,
	    const struct conf_diff *d, char *buf, size_t size);

#endif
