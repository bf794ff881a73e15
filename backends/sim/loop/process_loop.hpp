// The simulated loop driver for process actors' programs (runtime/process/loop_service.hpp): `losetup` and
// the block script's loop setup, run for real, reach this SimLoop through the supervisor's emulated
// /dev/loop-control and /dev/loopN. Every call is the SimLoop's own visible operation, so a program's
// LOOP_CONFIGURE and a fiber actor's configure are the same step with the same failure point and trace event.
#pragma once
#include <vector>

#include "backends/sim/loop/sim_loop.hpp"
#include "runtime/process/loop_service.hpp"

namespace xenrace {

class ProcessLoop final : public process::LoopService {
 public:
  explicit ProcessLoop(SimLoop& loop) : loop_(loop) {}
  int get_free() override;
  int add(int index) override;
  int remove(int index) override;
  int open(int index) override;
  int close(int handle) override;
  int configure(int handle, const std::string& file, std::uint64_t dev, std::uint64_t ino, std::uint32_t flags) override;
  int set_fd(int handle, const std::string& file, std::uint64_t dev, std::uint64_t ino) override;
  int set_status_flags(int handle, std::uint32_t flags) override;
  int get_status(int handle, process::LoopDeviceState& out) override;
  int clr_fd(int handle) override;
  int diskseq(int handle, std::uint64_t& out) override;
  std::vector<process::LoopDeviceState> devices() const override;

 private:
  SimLoop& loop_;
};

}  // namespace xenrace
