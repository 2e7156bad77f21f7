/*
 * The vblade-compatible command line:
 *
 *   aoede [-b bufcnt] [-o offset] [-l length] [-d] [-s] [-w] [-r]
 *         [-m mac[,mac...]] [-S control-socket] [-U netd-user:blockd-user] [-v]
 *         shelf slot netif [netif ...] file
 *
 * Every mistake is one clear line and exit status 1 (2 for usage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "supervisor.h"
#include "util.h"

static __attribute__((noreturn)) void
sup_usage(void)
{
	fprintf(stderr,
	    "usage: aoede [-b bufcnt] [-o offset] [-l length] [-d] [-s] [-w] [-r]\n"
	    "             [-m mac[,mac...]] [-S control-socket] [-U netd-user:blockd-user]\n"
	    "             [-v] shelf slot netif [netif ...] file\n");
	exit(2);
}

static void
sup_parse_masks(struct sup_export *x, const char *arg)
{
	char	 buf[1024], *mac;

	if (strlen(arg) >= sizeof(buf))
		fatalx("-m: list too long");
	strcpy(buf, arg);
	for (mac = strtok(buf, ","); mac != NULL; mac = strtok(NULL, ",")) {
		if (x->nmasks == SUP_MAX_MASKS)
			fatalx("-m: at most %d MAC addresses", SUP_MAX_MASKS);
		if (mac_parse(mac, x->masks[x->nmasks]) == -1)
			fatalx("-m: not a MAC address: %s", mac);
		x->nmasks++;
	}
}

static uint64_t
sup_number(const char *what, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t	 v;
	const char	*why;

	if (parse_u64(arg, min, max, &v, &why) == -1)
		fatalx("%s %s: %s (%ju..%ju)", what, arg, why, (uintmax_t)min,
		    (uintmax_t)max);
	return v;
}

static void
sup_parse_users(struct sup *s, char *arg)
{
	char	*colon = strchr(arg, ':');

	if (colon == NULL || colon == arg || colon[1] == '\0')
		fatalx("-U wants netd-user:blockd-user");
	*colon = '\0';
	s->netd_user = arg;
	s->blockd_user = colon + 1;
}

static void
sup_add_nic(struct sup *s, const char *name)
{
	unsigned	 i;

	if (strlen(name) >= IF_NAMESIZE)
		fatalx("interface name too long: %s", name);
	for (i = 0; i < s->nnics; i++)
		if (strcmp(s->nics[i].name, name) == 0)
			fatalx("interface %s named twice", name);
	if (s->nnics == SUP_MAX_NICS)
		fatalx("at most %d interfaces", SUP_MAX_NICS);
	strcpy(s->nics[s->nnics++].name, name);
}

int
sup_parse_args(struct sup *s, int argc, char *argv[])
{
	struct sup_export	*x = &s->exports[0];
	int			 ch, i;

	memset(x, 0, sizeof(*x));
	x->bufcnt = SUP_DEFAULT_BUFCNT;
	s->control_path = SUP_DEFAULT_CONTROL;
	s->netd_user = SUP_NETD_USER;
	s->blockd_user = SUP_BLOCKD_USER;
	while ((ch = getopt(argc, argv, "+b:o:l:dswrm:S:U:vh")) != -1) {
		switch (ch) {
		case 'b': x->bufcnt = sup_number("-b", optarg, 2, 2048); break;
		case 'o': x->offset = sup_number("-o", optarg, 0, UINT64_MAX / 512); break;
		case 'l': x->length = sup_number("-l", optarg, 1, UINT64_MAX / 512); break;
		case 'd': x->flags |= SUP_EXPORT_DIRECT; break;
		case 's': x->flags &= ~SUP_EXPORT_KERNEL; break;	/* sync: the default */
		case 'w': x->flags |= SUP_EXPORT_KERNEL; break;
		case 'r': x->flags |= SUP_EXPORT_RDONLY; break;
		case 'm': sup_parse_masks(x, optarg); break;
		case 'S': s->control_path = optarg; break;
		case 'U': sup_parse_users(s, optarg); break;
		case 'v': s->verbose++; break;
		default: sup_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 4)
		sup_usage();
	x->shelf = sup_number("shelf", argv[0], 0, 0xfffe);
	x->slot = sup_number("slot", argv[1], 0, 0xfe);
	for (i = 2; i < argc - 1; i++) {
		sup_add_nic(s, argv[i]);
		x->nic_mask |= (uint64_t)1 << (s->nnics - 1);
	}
	if (strlen(argv[argc - 1]) >= sizeof(x->path))
		fatalx("image path too long");
	strcpy(x->path, argv[argc - 1]);
	s->nexports = 1;
	return 0;
}
