/*
 * The statistics the children send the supervisor every
 * MSG_STATS_INTERVAL_MS (proto/msg.h).  Each message's fields are listed
 * once, here, and both the encoder and the decoder are generated from that
 * list, so they cannot disagree; the decoder refuses a message with a field
 * missing, extra or of another type.
 */
#ifndef AOEDE_PROTO_STATS_H
#define AOEDE_PROTO_STATS_H

#include <stdint.h>

#include "msg.h"
#include "util.h"

#define NETD_STAT_FIELDS(X) \
	X(nic) X(mtu) X(frames_in) X(frames_out) X(bytes_in) X(bytes_out) \
	X(drop_short) X(drop_type) X(drop_response) X(drop_version) \
	X(drop_notours) X(drop_nobuf) X(ring_full) X(send_errors) \
	X(tx_bad_desc) X(doorbells) X(loops) X(busy_ns) X(buffers_free) \
	X(recv_errors) X(link_changes) X(frames_out_ring)

#define BLOCKD_STAT_FIELDS(X) \
	X(loops) X(busy_ns) X(requests)

#define EXPORT_STAT_FIELDS(X) \
	X(reads) X(writes) X(read_bytes) X(write_bytes) X(flushes) X(fsyncs) \
	X(identifies) X(cfg_queries) X(err_range) X(err_rdonly) X(err_io) \
	X(err_badarg) X(err_unsupported) X(err_reserved) X(dropped_mask) \
	X(lat_p50_us) X(lat_p99_us) X(lat_p999_us) X(sectors) \
	X(cache_hits) X(cache_misses) \
	X(ext_commands) X(crc_errors) X(duplicates) X(stale_frames) \
	X(shadow_state) X(shadow_sectors) X(shadow_bytes) X(merge_total) \
	X(merge_done) X(shadow_errors)

#define STATS_FIELD(name) uint64_t name;

struct netd_stats_msg {
	NETD_STAT_FIELDS(STATS_FIELD)
	char	mac[MAC_STRLEN];
};

struct blockd_stats_msg {
	BLOCKD_STAT_FIELDS(STATS_FIELD)
};

struct export_stats_msg {
	EXPORT_STAT_FIELDS(STATS_FIELD)
	char	export[16];		/* "e1.0" */
};

int	stats_netd_send(int fd, const struct netd_stats_msg *s);
int	stats_blockd_send(int fd, const struct blockd_stats_msg *s);
int	stats_export_send(int fd, const struct export_stats_msg *s);
/* decode a message whose type was already checked; 0 or -1 */
int	stats_netd_decode(struct msg_in *m, struct netd_stats_msg *s);
int	stats_blockd_decode(struct msg_in *m, struct blockd_stats_msg *s);
int	stats_export_decode(struct msg_in *m, struct export_stats_msg *s);

#endif
