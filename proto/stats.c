/*
 * Encoders and decoders of the children's statistics, generated from the
 * field lists in stats.h.
 */
#include "stats.h"

#define COUNT(name)	+ 1
#define PUT(name)	msg_put_u64(&m, #name, s->name);
#define GET(name)	if (msg_get_u64(in, #name, &s->name) == -1) return -1;

int
stats_netd_send(int fd, const struct netd_stats_msg *s)
{
	struct msg_out	 m;

	msg_begin(&m, MSG_NETD_STATS, 1 NETD_STAT_FIELDS(COUNT));
	NETD_STAT_FIELDS(PUT)
	msg_put_str(&m, "mac", s->mac);
	return msg_send(fd, &m);
}

int
stats_blockd_send(int fd, const struct blockd_stats_msg *s)
{
	struct msg_out	 m;

	msg_begin(&m, MSG_BLOCKD_STATS, 0 BLOCKD_STAT_FIELDS(COUNT));
	BLOCKD_STAT_FIELDS(PUT)
	return msg_send(fd, &m);
}

int
stats_export_send(int fd, const struct export_stats_msg *s)
{
	struct msg_out	 m;

	msg_begin(&m, MSG_EXPORT_STATS, 1 EXPORT_STAT_FIELDS(COUNT));
	EXPORT_STAT_FIELDS(PUT)
	msg_put_str(&m, "export", s->export);
	return msg_send(fd, &m);
}

int
stats_netd_decode(struct msg_in *in, struct netd_stats_msg *s)
{
	NETD_STAT_FIELDS(GET)
	if (msg_get_str(in, "mac", s->mac, sizeof(s->mac)) == -1)
		return -1;
	return msg_end(in);
}

int
stats_blockd_decode(struct msg_in *in, struct blockd_stats_msg *s)
{
	BLOCKD_STAT_FIELDS(GET)
	return msg_end(in);
}

int
stats_export_decode(struct msg_in *in, struct export_stats_msg *s)
{
	EXPORT_STAT_FIELDS(GET)
	if (msg_get_str(in, "export", s->export, sizeof(s->export)) == -1)
		return -1;
	return msg_end(in);
}
