/*
 * The difference between two configurations (confdiff.h).
 */
#include <stdio.h>
#include <string.h>

#include "confdiff.h"

static int
confdiff_find_export(const struct conf *c, uint16_t shelf, uint8_t slot)
{
	unsigned	 i;

	for (i = 0; i < c->nexports; i++)
		if (c->exports[i].shelf == shelf && c->exports[i].slot == slot)
			return (int)i;
	return -1;
}

static int
confdiff_find_nic(const struct conf *c, const char *name)
{
	unsigned	 i;

	for (i = 0; i < c->nnics; i++)
		if (strcmp(c->nics[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Everything that defines how an export is served, but its name, the lines
 * it was read from and its NICs. */
static bool
confdiff_same_export(const struct conf_export *a, const struct conf_export *b)
{
	return a->shelf == b->shelf && a->slot == b->slot &&
	    strcmp(a->path, b->path) == 0 && a->read_only == b->read_only &&
	    a->direct == b->direct && a->durability == b->durability &&
	    a->offset == b->offset && a->length == b->length &&
	    a->cache_bytes == b->cache_bytes && a->bufcnt == b->bufcnt &&
	    a->nmasks == b->nmasks &&
	    memcmp(a->masks, b->masks, sizeof(a->masks[0]) * a->nmasks) == 0 &&
	    strcmp(a->shadow_dir, b->shadow_dir) == 0 &&
	    a->lan_mask_edit == b->lan_mask_edit &&
	    a->lan_force_reserve == b->lan_force_reserve &&
	    a->lan_force_config == b->lan_force_config;
}

/* The same NICs, by name (their indexes may differ between the files). */
static bool
confdiff_same_nics(const struct conf *ca, const struct conf_export *a,
    const struct conf *cb, const struct conf_export *b)
{
	unsigned	 i, na = 0, nb = 0;
	int		 j;

	for (i = 0; i < ca->nnics; i++) {
		if (!(a->nic_mask & ((uint64_t)1 << i)))
			continue;
		na++;
		if ((j = confdiff_find_nic(cb, ca->nics[i].name)) == -1 ||
		    !(b->nic_mask & ((uint64_t)1 << j)))
			return false;
	}
	for (i = 0; i < cb->nnics; i++)
		nb += (b->nic_mask >> i) & 1;
	return na == nb;
}

/* The [global] keys: fixed for the daemon's life. */
static int
confdiff_globals(const struct conf *cur, const struct conf *next, char *err,
    size_t errlen)
{
	const struct {
		const char	*key;
		const char	*a, *b;
	} keys[] = {
		{ "control-socket", cur->control_socket, next->control_socket },
		{ "control-group", cur->control_group, next->control_group },
		{ "operator-group", cur->operator_group, next->operator_group },
		{ "netd-user", cur->netd_user, next->netd_user },
		{ "blockd-user", cur->blockd_user, next->blockd_user },
		{ "state-directory", cur->state_dir, next->state_dir },
	};
	size_t	 i;

	if (cur->busy_poll_us != next->busy_poll_us) {
		snprintf(err, errlen, "%s: [global] busy-poll cannot change at run "
		    "time (%u, was %u); restart aoede to apply it; nothing was "
		    "changed", next->file, next->busy_poll_us, cur->busy_poll_us);
		return -1;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].a, keys[i].b) == 0)
			continue;
		snprintf(err, errlen, "%s: [global] %s cannot change at run time "
		    "(\"%s\", was \"%s\"); restart aoede to apply it; nothing was "
		    "changed", next->file, keys[i].key, keys[i].b, keys[i].a);
		return -1;
	}
	return 0;
}

int
conf_diff(const struct conf *cur, const struct conf *next, struct conf_diff *d,
    char *err, size_t errlen)
{
	unsigned	 i;
	int		 j;

	memset(d, 0, sizeof(*d));
	if (confdiff_globals(cur, next, err, errlen) == -1)
		return -1;
	for (i = 0; i < cur->nexports; i++) {
		const struct conf_export *a = &cur->exports[i];

		if ((j = confdiff_find_export(next, a->shelf, a->slot)) == -1)
			d->removed[d->nremoved++] = i;
		else if (!confdiff_same_export(a, &next->exports[j])) {
			d->changed_old[d->nchanged] = i;
			d->changed_new[d->nchanged++] = j;
		} else if (!confdiff_same_nics(cur, a, next, &next->exports[j])) {
			d->moved_old[d->nmoved] = i;
			d->moved_new[d->nmoved++] = j;
		}
	}
	for (i = 0; i < next->nexports; i++)
		if (confdiff_find_export(cur, next->exports[i].shelf,
		    next->exports[i].slot) == -1)
			d->added[d->nadded++] = i;
	for (i = 0; i < cur->nnics; i++)
		if (confdiff_find_nic(next, cur->nics[i].name) == -1)
			d->nic_removed[d->nnic_removed++] = i;
	for (i = 0; i < next->nnics; i++)
		if (confdiff_find_nic(cur, next->nics[i].name) == -1)
			d->nic_added[d->nnic_added++] = i;
	return 0;
}

bool
conf_diff_empty(const struct conf_diff *d)
{
	return d->nremoved + d->nadded + d->nchanged + d->nmoved +
	    d->nnic_removed + d->nnic_added == 0;
}

static void
confdiff_append(char *buf, size_t size, size_t *off, const char *what,
    const char *name, const char *after)
{
	if (*off >= size)
		return;
	*off += snprintf(buf + *off, size - *off, "%s%s%s%s", *off ? ", " : "",
	    what, name, after);
}

void
conf_diff_describe(const struct conf *cur, const struct conf *next,
    const struct conf_diff *d, char *buf, size_t size)
{
	char		 name[16];
	size_t		 off = 0;
	unsigned	 i;

	buf[0] = '\0';
	for (i = 0; i < d->nadded; i++) {
		snprintf(name, sizeof(name), "e%u.%u", next->exports[d->added[i]].shelf,
		    next->exports[d->added[i]].slot);
		confdiff_append(buf, size, &off, "added ", name, "");
	}
	for (i = 0; i < d->nremoved; i++) {
		snprintf(name, sizeof(name), "e%u.%u", cur->exports[d->removed[i]].shelf,
		    cur->exports[d->removed[i]].slot);
		confdiff_append(buf, size, &off, "removed ", name, "");
	}
	for (i = 0; i < d->nchanged; i++) {
		snprintf(name, sizeof(name), "e%u.%u",
		    cur->exports[d->changed_old[i]].shelf,
		    cur->exports[d->changed_old[i]].slot);
		confdiff_append(buf, size, &off, "changed ", name, "");
	}
	for (i = 0; i < d->nmoved; i++) {
		snprintf(name, sizeof(name), "e%u.%u", cur->exports[d->moved_old[i]].shelf,
		    cur->exports[d->moved_old[i]].slot);
		confdiff_append(buf, size, &off, "nics of ", name, " changed");
	}
	for (i = 0; i < d->nnic_added; i++)
		confdiff_append(buf, size, &off, "nic ", next->nics[d->nic_added[i]].name,
		    " added");
	for (i = 0; i < d->nnic_removed; i++)
		confdiff_append(buf, size, &off, "nic ", cur->nics[d->nic_removed[i]].name,
		    " removed");
	if (off == 0)
		snprintf(buf, size, "unchanged");
}
