/*
 * The data pattern: each 512-byte sector is a pure function of (seed, LBA),
 * so any process can verify what any other wrote without sharing state.
 *
 * Bytes 0-7 hold the LBA and 8-15 the seed (both little-endian), so a
 * misplaced sector tells where it came from; the rest is a splitmix64
 * stream started from both.
 */
#include <stdint.h>
#include <string.h>

#include "aoebench.h"

static uint64_t
pattern_splitmix(uint64_t *state)
{
	uint64_t	 z;

	*state += 0x9E3779B97F4A7C15ULL;
	z = *state;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void
pattern_put64(uint8_t *p, uint64_t v)
{
	int	 i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

void
pattern_fill(uint8_t *sector, uint64_t seed, uint64_t lba)
{
	uint64_t	 state;
	size_t		 off;

	pattern_put64(sector, lba);
	pattern_put64(sector + 8, seed);
	/* the odd multiplier keeps (seed, lba) pairs from sharing streams */
	state = seed * 0xD6E8FEB86659FD93ULL ^ lba;
	for (off = 16; off < SECTOR_SIZE; off += 8)
		pattern_put64(sector + off, pattern_splitmix(&state));
}

size_t
pattern_check(const uint8_t *sector, uint64_t seed, uint64_t lba)
{
	uint8_t		 want[SECTOR_SIZE];
	size_t		 i;

	pattern_fill(want, seed, lba);
	if (memcmp(want, sector, SECTOR_SIZE) == 0)
		return 0;
	for (i = 0; i < SECTOR_SIZE; i++)
		if (want[i] != sector[i])
			break;
	return i + 1;
}
