/*
 * What a reload changes (supervisor/confdiff.c): two small in-memory files,
 * and the lists of exports and NICs added, removed, changed and moved, the
 * description the operator reads, and the [global] keys that are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confdiff.h"

static struct conf	 a, b;

static void
parse(struct conf *c, const char *text)
{
	FILE	*fp = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(fp);
	conf_init(c);
	assert_int_equal(conf_parse_stream(c, "/etc/aoede/t.conf", fp), 0);
	fclose(fp);
}

#define X(name, slot, path, nics) \
	"[export " name "]\nshelf = 1\nslot = " slot "\npath = /img/" path "\nnics = " nics "\n"

static void
test_unchanged(void **state)
{
	struct conf_diff	 d;
	char			 err[256], text[CONF_DIFF_TEXT_MAX];

	parse(&a, X("one", "1", "a", "t0") X("two", "2", "b", "t0 t1"));
	/* a renamed section and another order change nothing */
	parse(&b, X("deux", "2", "b", "t1 t0") X("one", "1", "a", "t0"));
	assert_int_equal(conf_diff(&a, &b, &d, err, sizeof(err)), 0);
	assert_true(conf_diff_empty(&d));
	conf_diff_describe(&a, &b, &d, text, sizeof(text));
	assert_string_equal(text, "unchanged");
}

static void
test_exports(void **state)
{
	struct conf_diff	 d;
	char			 err[256], text[CONF_DIFF_TEXT_MAX];

	parse(&a, X("one", "1", "a", "t0") X("two", "2", "b", "t0")
	    X("three", "3", "c", "t1") X("four", "4", "d", "t0"));
	parse(&b, X("one", "1", "a", "t0") X("three", "3", "c2", "t1")
	    X("four", "4", "d", "t0 t1") X("five", "5", "e", "t1"));
	assert_int_equal(conf_diff(&a, &b, &d, err, sizeof(err)), 0);
	assert_int_equal(d.nremoved, 1);
	assert_int_equal(a.exports[d.removed[0]].slot, 2);
	assert_int_equal(d.nadded, 1);
	assert_int_equal(b.exports[d.added[0]].slot, 5);
	assert_int_equal(d.nchanged, 1);		/* a new path */
	assert_int_equal(a.exports[d.changed_old[0]].slot, 3);
	assert_int_equal(b.exports[d.changed_new[0]].slot, 3);
	assert_int_equal(d.nmoved, 1);			/* only its NICs */
	assert_int_equal(b.exports[d.moved_new[0]].slot, 4);
	assert_int_equal(d.nnic_added + d.nnic_removed, 0);
	conf_diff_describe(&a, &b, &d, text, sizeof(text));
	assert_string_equal(text, "added e1.5, removed e1.2, changed e1.3, "
	    "nics of e1.4 changed");
}

static void
test_nics(void **state)
{
	struct conf_diff	 d;
	char			 err[256], text[CONF_DIFF_TEXT_MAX];

	parse(&a, X("one", "1", "a", "t0") X("two", "2", "b", "t1"));
	parse(&b, X("one", "1", "a", "t0") X("three", "3", "c", "t2"));
	assert_int_equal(conf_diff(&a, &b, &d, err, sizeof(err)), 0);
	assert_int_equal(d.nnic_added, 1);
	assert_string_equal(b.nics[d.nic_added[0]].name, "t2");
	assert_int_equal(d.nnic_removed, 1);
	assert_string_equal(a.nics[d.nic_removed[0]].name, "t1");
	conf_diff_describe(&a, &b, &d, text, sizeof(text));
	assert_string_equal(text, "added e1.3, removed e1.2, nic t2 added, "
	    "nic t1 removed");
}

static void
test_globals_refused(void **state)
{
	static const char *const keys[] = { "control-socket = /run/x.sock",
	    "operator-group = root", "state-directory = /var/lib/x",
	    "busy-poll = 0" };
	struct conf_diff	 d;
	char			 err[512], text[1024];
	unsigned		 i;

	parse(&a, X("one", "1", "a", "t0"));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "[global]\n%s\n" X("one", "1", "a", "t0")
		    X("two", "2", "b", "t0"), keys[i]);
		parse(&b, text);
		err[0] = '\0';
		assert_int_equal(conf_diff(&a, &b, &d, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "cannot change at run time"));
		*strchr(text + 9, ' ') = '\0';	/* the key's name */
		assert_non_null(strstr(err, text + 9));
		assert_true(conf_diff_empty(&d));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_nics),
		cmocka_unit_test(test_globals_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
