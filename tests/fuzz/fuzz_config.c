/*
 * libFuzzer target: a configuration file, as aoede -n parses it.  Parsing
 * either succeeds with every export inside its bounds, or fails with one
 * line of error that names the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "supervisor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static struct conf	 c;
	FILE			*fp;
	unsigned		 i;

	if ((fp = fmemopen((void *)in, len, "r")) == NULL)
		return 0;
	conf_init(&c);
	if (conf_parse_stream(&c, "fuzz.conf", fp) == 0) {
		FZ_CHECK(c.nexports <= SUP_MAX_EXPORTS && c.nnics <= SUP_MAX_NICS);
		for (i = 0; i < c.nexports; i++)
			FZ_CHECK(c.exports[i].shelf < 0xffff && c.exports[i].slot < 0xff &&
			    c.exports[i].nic_mask != 0);
	} else
		FZ_CHECK(strncmp(c.err, "fuzz.conf", 9) == 0 && strchr(c.err, '\n') == NULL);
	fclose(fp);
	return 0;
}
