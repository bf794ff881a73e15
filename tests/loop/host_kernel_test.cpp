// The examples of backends/dom0/host_kernel.hpp: which loop-driver and mdev models a host kernel release runs.
#include <gtest/gtest.h>

#include "backends/dom0/host_kernel.hpp"

namespace xenrace::dom0 {
namespace {

TEST(HostKernel, MajorMinorOfAReleaseString) {
  EXPECT_EQ(kernel_major_minor("6.1.0-56-amd64"), std::make_pair(6, 1));
  EXPECT_EQ(kernel_major_minor("6.18.44-fc-v657"), std::make_pair(6, 18));
  EXPECT_EQ(kernel_major_minor("6.10"), std::make_pair(6, 10));
  EXPECT_EQ(kernel_major_minor("garbage"), std::nullopt);
  EXPECT_EQ(kernel_major_minor("6"), std::nullopt);
  EXPECT_EQ(kernel_major_minor(""), std::nullopt);
}

TEST(HostKernel, TheLinux61ModelRunsOnlyOn61To610) {
  EXPECT_EQ(host_cannot_run(LoopKernel::v6_1, "6.1.0-56-amd64"), "");
  EXPECT_EQ(host_cannot_run(LoopKernel::v6_1, "6.10.3"), "");
  const std::string why = host_cannot_run(LoopKernel::v6_1, "6.18.44-fc-v657");
  EXPECT_NE(why.find("6.18.44-fc-v657"), std::string::npos) << why;
  EXPECT_NE(why.find("Linux 6.1"), std::string::npos) << why;
  EXPECT_NE(host_cannot_run(LoopKernel::v6_1, "6.11.0"), "");
  EXPECT_NE(host_cannot_run(LoopKernel::v6_1, "5.10.0-30-amd64"), "");
  EXPECT_NE(host_cannot_run(LoopKernel::v6_1, "garbage"), "");
  EXPECT_NE(host_cannot_run(LoopKernel::v6_1, ""), "");
}

TEST(HostKernel, OtherModelsKeepTheirRules) {
  for (const char* release : {"6.1.0-56-amd64", "6.18.44-fc-v657"}) {
    EXPECT_EQ(host_cannot_run(LoopKernel::v6_11, release), "");
    EXPECT_EQ(host_cannot_run(LoopKernel::v6_5, release), "");
    EXPECT_NE(host_cannot_run(LoopKernel::before_b90ecc0379eb, release).find("b90ecc0379eb"), std::string::npos);
  }
}

TEST(HostKernel, TheMdevCoreFollowsTheRelease) {
  EXPECT_EQ(host_cannot_run(MdevCore::global_list, "6.1.0-56-amd64"), "");
  EXPECT_EQ(host_cannot_run(MdevCore::global_list, "4.18.0"), "");
  EXPECT_EQ(host_cannot_run(MdevCore::per_parent_lock, "4.14.0-3-amd64"), "");
  const std::string why = host_cannot_run(MdevCore::per_parent_lock, "6.1.0-56-amd64");
  EXPECT_NE(why.find("6.1.0-56-amd64"), std::string::npos) << why;
  EXPECT_NE(why.find("per-parent-lock"), std::string::npos) << why;
  EXPECT_NE(host_cannot_run(MdevCore::global_list, "4.17.19"), "");
  EXPECT_NE(host_cannot_run(MdevCore::per_parent_lock, "4.9.0"), "");
  EXPECT_NE(host_cannot_run(MdevCore::global_list, "garbage"), "");
}

}  // namespace
}  // namespace xenrace::dom0
