#include "world/kernel.hpp"

namespace xenrace {

const char* to_string(LoopKernel k) {
  switch (k) {
    case LoopKernel::before_b90ecc0379eb: return "before-b90ecc0379eb";
    case LoopKernel::v6_5: return "v6.5";
    case LoopKernel::v6_11: return "v6.11";
    case LoopKernel::v6_1: return "v6.1";
  }
  return "?";
}

const char* to_string(BlkbackDiskseq d) {
  switch (d) {
    case BlkbackDiskseq::unsupported: return "no-diskseq";
    case BlkbackDiskseq::node: return "diskseq-node";
    case BlkbackDiskseq::in_physical_device: return "diskseq-in-physical-device";
  }
  return "?";
}

const char* to_string(MdevCore core) { return core == MdevCore::per_parent_lock ? "per-parent-lock" : "global-list"; }

}  // namespace xenrace
