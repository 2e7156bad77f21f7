# test_blockd_aio.c drives a real io_uring (liburing, from PKG_LIBS) and
# injects results by handing completions to the engine itself: no wrapping.
TEST_LDFLAGS_test_blockd_aio :=
