/*
 * CRC8x4 (see crc8x4.h).  A byte-wise table of the reflected CRC, built
 * once from the polynomial: the inner loop is one lookup per byte (for an
 * 8-bit reflected CRC the register shifts out entirely), and the four
 * accumulators are independent, so the compiler can interleave them.
 */
#include <pthread.h>
#include <string.h>

#include "crc8x4.h"

#define CRC8X4_POLY_REFLECTED	0xB2	/* 0x4D, bits reversed */

static uint8_t		crc8x4_table[256];
static pthread_once_t	crc8x4_once = PTHREAD_ONCE_INIT;

static void
crc8x4_init_table(void)
{
	unsigned	 i, bit;
	uint8_t		 c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (bit = 0; bit < 8; bit++)
			c = (c & 1) ? (c >> 1) ^ CRC8X4_POLY_REFLECTED : c >> 1;
		crc8x4_table[i] = c;
	}
}

void
crc8x4(const uint8_t *buf, size_t len, uint8_t out[CRC8X4_LEN])
{
	uint8_t		 acc[CRC8X4_LEN] = { 0xff, 0xff, 0xff, 0xff };
	size_t		 i;

	pthread_once(&crc8x4_once, crc8x4_init_table);
	for (i = 0; i + 4 <= len; i += 4) {
		acc[0] = crc8x4_table[acc[0] ^ buf[i]];
		acc[1] = crc8x4_table[acc[1] ^ buf[i + 1]];
		acc[2] = crc8x4_table[acc[2] ^ buf[i + 2]];
		acc[3] = crc8x4_table[acc[3] ^ buf[i + 3]];
	}
	for (; i < len; i++)
		acc[i % 4] = crc8x4_table[acc[i % 4] ^ buf[i]];
	memcpy(out, acc, CRC8X4_LEN);
}

bool
crc8x4_check(const uint8_t *buf, size_t len, const uint8_t crc[CRC8X4_LEN])
{
	uint8_t	 got[CRC8X4_LEN];

	crc8x4(buf, len, got);
	return memcmp(got, crc, CRC8X4_LEN) == 0;
}
