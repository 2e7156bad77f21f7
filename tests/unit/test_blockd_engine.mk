# Fault injection for the engine's I/O: libblockd.a calls pread, preadv
# (fullio.c: the image's synchronous reads), pwrite and fdatasync (checked
# with nm: no pread64/pwrite64 or __pread_chk), so those are wrapped and
# test_blockd_engine.c defines the __wrap_ functions.
TEST_LDFLAGS_test_blockd_engine := -Wl,--wrap=pread,--wrap=preadv,--wrap=pwrite,--wrap=fdatasync
