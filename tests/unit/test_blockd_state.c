/*
 * Unit tests of the persistent AoE state (blockd/state.c): encode/decode
 * round trips (empty and full), refusal of corrupt, short, over-limit and
 * wrong-version files (the state then comes back empty), and the atomic
 * save and load through a directory fd.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "state.h"

static struct export_state	 st, back;
static char			 buf[STATE_FILE_MAX];

static void
fill(struct export_state *s, unsigned cfg, unsigned nm, unsigned nr)
{
	unsigned	 i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < cfg; i++)
		s->config[i] = (uint8_t)(i * 7 + 1);
	s->config_len = (uint16_t)cfg;
	for (i = 0; i < nm; i++) {
		s->masks[i][0] = 0x02;
		s->masks[i][5] = (uint8_t)i;
	}
	s->nmasks = nm;
	for (i = 0; i < nr; i++) {
		s->reserve[i][0] = 0x02;
		s->reserve[i][4] = (uint8_t)(i >> 8);
		s->reserve[i][5] = (uint8_t)i;
	}
	s->nreserve = nr;
}

static void
same(const struct export_state *a, const struct export_state *b)
{
	assert_int_equal(a->config_len, b->config_len);
	assert_memory_equal(a->config, b->config, a->config_len);
	assert_int_equal(a->nmasks, b->nmasks);
	assert_memory_equal(a->masks, b->masks, (size_t)a->nmasks * 6);
	assert_int_equal(a->nreserve, b->nreserve);
	assert_memory_equal(a->reserve, b->reserve, (size_t)a->nreserve * 6);
}

static void
test_round_trip_empty(void **state)
{
	const char	*why = NULL;
	size_t		 n;

	fill(&st, 0, 0, 0);
	n = state_encode(&st, buf, sizeof(buf));
	assert_true(n > 0);
	assert_memory_equal(buf, "aoede-state 1\nconfig \nsum ", 26);
	assert_int_equal(state_decode(buf, n, &back, &why), 0);
	same(&st, &back);
}

static void
test_round_trip_full(void **state)
{
	const char	*why = NULL;
	size_t		 n;

	/* the largest state there is fits STATE_FILE_MAX */
	fill(&st, AOE_CFG_MAX, EXPORT_MAX_MASKS, EXPORT_MAX_RESERVE);
	n = state_encode(&st, buf, sizeof(buf));
	assert_true(n > 0 && n <= STATE_FILE_MAX);
	assert_int_equal(state_decode(buf, n, &back, &why), 0);
	same(&st, &back);
	/* too small a buffer: 0, never a partial file */
	assert_int_equal(state_encode(&st, buf, n - 1), 0);
	fill(&st, 5, 2, 1);
	n = state_encode(&st, buf, sizeof(buf));
	assert_int_equal(state_decode(buf, n, &back, &why), 0);
	same(&st, &back);
}

/* decode must fail, say why, and leave the state empty */
static void
refused(const char *text, size_t len, const char *want)
{
	const char	*why = NULL;

	fill(&back, 3, 3, 3);
	assert_int_equal(state_decode(text, len, &back, &why), -1);
	assert_non_null(why);
	if (want != NULL)
		assert_string_equal(why, want);
	assert_int_equal(back.config_len, 0);
	assert_int_equal(back.nmasks, 0);
	assert_int_equal(back.nreserve, 0);
}

static void
test_corrupt(void **state)
{
	size_t		 n, i;
	char		*p;

	fill(&st, 5, 2, 1);
	n = state_encode(&st, buf, sizeof(buf));
	/* every single-byte change is caught */
	for (i = 0; i < n; i++) {
		buf[i] ^= 0x01;
		refused(buf, n, NULL);
		buf[i] ^= 0x01;
	}
	/* a changed MAC with a matching format: the checksum */
	p = strstr(buf, "mask 02:00:00:00:00:01");
	assert_non_null(p);
	p[21] = '7';
	refused(buf, n, "checksum mismatch");
	p[21] = '1';
	/* a NUL, garbage after the sum, binary junk, nothing */
	buf[16] = '\0';
	refused(buf, n, NULL);
	n = state_encode(&st, buf, sizeof(buf));
	memcpy(buf + n, "x\n", 2);
	refused(buf, n + 2, "data after the sum");
	refused("\x7f" "ELF\x02\x01\x01", 7, "not a state file");
	refused("", 0, "not a state file");
	/* lines out of order: a mask after a reserve */
	refused("aoede-state 1\nconfig \nreserve 02:00:00:00:00:01\n"
	    "mask 02:00:00:00:00:02\nsum 00000000\n", 76, "unexpected line");
	/* odd hex */
	refused("aoede-state 1\nconfig abc\nsum 00000000\n", 38, "bad config line");
}

static void
test_short(void **state)
{
	size_t		 n, i;

	fill(&st, 40, 4, 4);
	n = state_encode(&st, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		refused(buf, i, NULL);
}

static void
test_version(void **state)
{
	size_t		 n;

	fill(&st, 1, 0, 0);
	n = state_encode(&st, buf, sizeof(buf));
	buf[12] = '2';
	refused(buf, n, "unknown version");
	refused("aoede-state x\nconfig \nsum 00000000\n", 35, "unknown version");
}

static void
test_save_load(void **state)
{
	static struct export	 x;
	char			 dir[] = "/tmp/test_state.XXXXXX", path[64];
	const char		*why = NULL;
	int			 dfd, fd;

	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	memset(&x, 0, sizeof(x));
	x.shelf = 7;
	x.slot = 3;
	/* no file: 0, empty state */
	assert_int_equal(state_load(dfd, &x, &back, &why), 0);
	memcpy(x.config, "hello", 5);
	x.config_len = 5;
	memcpy(x.masks[0], "\x02\0\0\0\0\x09", 6);
	x.nmasks = 1;
	memcpy(x.reserve[0], "\x02\0\0\0\0\x0a", 6);
	memcpy(x.reserve[1], "\x02\0\0\0\0\x0b", 6);
	x.nreserve = 2;
	assert_int_equal(state_save(dfd, &x), 0);
	assert_int_equal(state_load(dfd, &x, &back, &why), 1);
	state_from_export(&x, &st);
	same(&st, &back);
	/* saved again: replaced, no temporary file left */
	x.nreserve = 0;
	assert_int_equal(state_save(dfd, &x), 0);
	assert_int_equal(state_load(dfd, &x, &back, &why), 1);
	assert_int_equal(back.nreserve, 0);
	assert_int_equal(faccessat(dfd, "e7.3.state.tmp", F_OK, 0), -1);
	/* a truncated file is refused */
	snprintf(path, sizeof(path), "%s/e7.3.state", dir);
	assert_int_equal(truncate(path, 20), 0);
	assert_int_equal(state_load(dfd, &x, &back, &why), -1);
	assert_int_equal(back.config_len, 0);
	/* an over-long one too */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	assert_int_equal(write(fd, "b", 1), 1);
	close(fd);
	assert_int_equal(state_load(dfd, &x, &back, &why), -1);
	assert_string_equal(why, "file too large");
	unlink(path);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
