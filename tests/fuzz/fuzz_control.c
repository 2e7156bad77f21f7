/*
 * libFuzzer target: bytes from a control-socket client, as the supervisor
 * frames and decodes them — the scanner must never report a message longer
 * than its input, and a message it accepts must be decodable without a
 * sanitizer report; the decoded request names a known command.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctlproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct ctl_request	 req;
	const char		*why = NULL;
	char			 err[256];
	size_t			 off = 0, msglen;
	enum ctl_scan_result	 r;

	/* a stream: messages back to back, as a client may send them */
	while (off < len) {
		msglen = 0;
		r = ctl_scan(in + off, len - off, &ctl_request_limits, &msglen, &why);
		if (r != CTL_SCAN_DONE) {
			FZ_CHECK(r == CTL_SCAN_MORE || why != NULL);
			break;
		}
		FZ_CHECK(msglen > 0 && msglen <= len - off);
		memset(&req, 0, sizeof(req));
		if (ctl_request_decode(in + off, msglen, &req, err, sizeof(err)) == 0)
			FZ_CHECK(req.cmd != NULL && ctl_cmd_lookup(req.cmd->name) == req.cmd);
		off += msglen;
	}
	return 0;
}
