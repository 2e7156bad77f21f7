/*
 * CRC8x4, the data-integrity extension of the 2014 AoEde: four CRC-8
 * accumulators, each initialised to 0xFF, no final XOR; byte i of the stream
 * — the 12-byte ATA argument block followed by the sector data — goes into
 * accumulator i mod 4.  The four results, accumulator 0 first, follow the
 * data of a read reply and of a write request once an initiator negotiated
 * "crc8x4".
 *
 * The CRC-8 itself: the 2014 source describes it by its lookup table, whose
 * entry 1 is 0x3E — which reads like "MSB first, polynomial 0x3E".  It is
 * not: that table is the LSB-first (reflected) table of polynomial 0x4D
 * (0xB2 reflected), entry for entry; an MSB-first 0x3E table differs from
 * entry 8 on.  So, in the usual parameters: width 8, poly 0x4D, init 0xFF,
 * refin and refout true, xorout 0.  That is what this module computes, and
 * what tests/lib/crc8x4_vectors.py checks with a generic bit-by-bit routine.
 */
#ifndef AOEDE_PROTO_CRC8X4_H
#define AOEDE_PROTO_CRC8X4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRC8X4_LEN	4

/* buf: the ATA argument block (frame + 24) and the data after it */
void	crc8x4(const uint8_t *buf, size_t len, uint8_t out[CRC8X4_LEN]);
bool	crc8x4_check(const uint8_t *buf, size_t len, const uint8_t crc[CRC8X4_LEN]);

#endif
