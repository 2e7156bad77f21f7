# test_blockd_inline.c makes fdatasync fail, to see a tmpfs image's group
# commit (made at once, not through the ring) fail what it covered.
TEST_LDFLAGS_test_blockd_inline := -Wl,--wrap=fdatasync
