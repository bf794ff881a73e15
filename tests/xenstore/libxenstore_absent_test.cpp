#include <gtest/gtest.h>

TEST(LibXenstore, Absent) { GTEST_SKIP() << "libxenstore (Debian package libxen-dev) was not found at build time"; }
