/*
 * libFuzzer target: an export's state file (blockd/state.c) as blockd reads
 * it at start — whatever is in the state directory, truncated, corrupt or
 * hostile.  A file that decodes must hold what the limits allow, and must
 * come back the same through state_encode() and state_decode() (what blockd
 * writes is what it reads); one that does not must leave the state empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "state.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static const struct export_state empty;
	static char		 buf[STATE_FILE_MAX];
	struct export_state	 st, again;
	const char		*why = NULL;
	size_t			 n;

	if (state_decode((const char *)in, len, &st, &why) == -1) {
		FZ_CHECK(why != NULL && *why != '\0');
		FZ_CHECK(memcmp(&st, &empty, sizeof(st)) == 0);
		return 0;
	}
	FZ_CHECK(st.config_len <= AOE_CFG_MAX);
	FZ_CHECK(st.nmasks <= EXPORT_MAX_MASKS);
	FZ_CHECK(st.nreserve <= EXPORT_MAX_RESERVE);
	/* what decodes re-encodes within the documented bound, to itself */
	n = state_encode(&st, buf, sizeof(buf));
	FZ_CHECK(n > 0 && n <= STATE_FILE_MAX);
	FZ_CHECK(state_decode(buf, n, &again, &why) == 0);
	FZ_CHECK(again.config_len == st.config_len &&
	    memcmp(again.config, st.config, st.config_len) == 0);
	FZ_CHECK(again.nmasks == st.nmasks &&
	    memcmp(again.masks, st.masks, sizeof(st.masks[0]) * st.nmasks) == 0);
	FZ_CHECK(again.nreserve == st.nreserve &&
	    memcmp(again.reserve, st.reserve, sizeof(st.reserve[0]) * st.nreserve) == 0);
	return 0;
}
