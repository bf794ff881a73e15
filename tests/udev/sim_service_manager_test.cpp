// The worked examples of backends/sim/udev/sim_service_manager.hpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/sim/udev/sim_kernel_devices.hpp"
#include "backends/sim/udev/sim_service_manager.hpp"
#include "backends/sim/udev/sim_udevd.hpp"
#include "backends/sim/udev/udev_rules.hpp"
#include "tests/mdev/sim_run.hpp"
#include "world/boot.hpp"

namespace xenrace {
namespace {

using Events = std::vector<std::string>;

std::ptrdiff_t index_of(const Events& events, const std::string& what) {
  auto it = std::find(events.begin(), events.end(), what);
  return it == events.end() ? -1 : it - events.begin();
}

struct BootOutcome {
  Events events;
  std::string a_state, a_result, device_result;
  bool a_started = false;
  VirtualTime end_time = 0;
  std::vector<std::string> journal;
  ExecutionResult result;
};

// Boots `config` with programs "a" and "b" that note when they start and end; `extra` adds actors.
BootOutcome boot(const std::string& config, std::uint64_t seed, const std::function<void(Execution&, SimWorld&)>& extra = {}) {
  BootOutcome out;
  StrategyOptions so;
  so.name = "random";
  so.seed = seed;
  auto strategy = make_strategy(so);
  strategy->begin_execution(0);
  SimServiceManager* systemd = nullptr;
  out.result = testing::run_sim(
      [&](Execution& ex, SimWorld& w) {
        systemd = &w.sim_services();
        systemd->load_units(config);
        for (const char* name : {"a", "b"}) {
          systemd->bind_program(name, [&ex, &w, &out, n = std::string(name)] {
            out.events.push_back(n + " start");
            w.device_nodes().node_exists("/dev/null");  // a few visible operations
            w.device_nodes().node_exists("/dev/null");
            if (n == "a" || n == "b") w.services().notify_ready();
            out.events.push_back(n + " end");
            (void)ex;
            return 0;
          });
        }
        if (extra) extra(ex, w);
        systemd->boot();
        ex.at_end("observe", [&] {
          out.a_state = systemd->state_of("a.service");
          out.a_result = systemd->job_result_of("a.service");
          out.a_started = systemd->started("a.service");
          out.device_result = systemd->job_result_of("dev-x.device");
          out.end_time = ex.sched().now();
          out.journal = systemd->journal();
          return std::string();
        });
      },
      *strategy, false);
  return out;
}

TEST(SimServiceManager, AfterOrdersTheMainProcesses) {
  const std::string config = R"(
[a.service]
After=b.service
ExecStart=a
WantedBy=multi-user.target
[b.service]
Type=oneshot
ExecStart=b
WantedBy=multi-user.target
)";
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    BootOutcome b = boot(config, seed);
    ASSERT_FALSE(b.result.failed()) << b.result.message;
    EXPECT_GT(index_of(b.events, "a start"), index_of(b.events, "b end")) << "seed " << seed;
    EXPECT_EQ(b.a_state, "inactive");  // a simple service whose process exited
    EXPECT_EQ(b.a_result, "done");
  }
}

TEST(SimServiceManager, RequiresWithoutAfterOrdersNothing) {
  const std::string config = R"(
[a.service]
Requires=b.service
ExecStart=a
WantedBy=multi-user.target
[b.service]
Type=oneshot
ExecStart=b
)";
  bool a_first = false;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    BootOutcome b = boot(config, seed);
    ASSERT_FALSE(b.result.failed()) << b.result.message;
    ASSERT_GE(index_of(b.events, "b start"), 0);  // pulled in by Requires=
    if (index_of(b.events, "a start") < index_of(b.events, "b end")) a_first = true;
  }
  EXPECT_TRUE(a_first);  // a ran while b, which it Requires=, had not finished (never so with After=)
}

// systemd leaves a wanted unit that has no unit file out of the transaction (a host's sysinit.target wants
// swap.target, which may be absent); a required one fails the requiring unit.
TEST(SimServiceManager, AWantedUnitWithNoFileIsLeftOutAndARequiredOneFails) {
  auto depending = [](const char* key) {
    return fmt::format("[a.service]\n{}=missing.target\nAfter=missing.target\nExecStart=a\nWantedBy=multi-user.target\n",
                       key);
  };
  BootOutcome wants = boot(depending("Wants"), 1);
  ASSERT_FALSE(wants.result.failed()) << wants.result.message;
  EXPECT_EQ(wants.a_result, "done");
  for (const std::string& line : wants.journal) EXPECT_EQ(line.find("missing.target"), std::string::npos) << line;
  BootOutcome required = boot(depending("Requires"), 1);
  EXPECT_EQ(required.a_result, "dependency");
  EXPECT_NE(std::find(required.journal.begin(), required.journal.end(), "Unit missing.target not found."),
            required.journal.end());
}

TEST(SimServiceManager, ARequiredDeviceThatNeverAppearsFailsTheServiceAfterTheDeviceTimeout) {
  const std::string config = R"(
[a.service]
Requires=dev-x.device
After=dev-x.device
ExecStart=a
WantedBy=multi-user.target
)";
  BootOutcome b = boot(config, 1);
  ASSERT_FALSE(b.result.failed()) << b.result.message;
  EXPECT_FALSE(b.a_started);
  EXPECT_EQ(b.a_result, "dependency");
  EXPECT_EQ(b.device_result, "timeout");
  EXPECT_GE(b.end_time, 90'000'000'000ULL);
  EXPECT_NE(std::find(b.journal.begin(), b.journal.end(), "Dependency failed for a.service."), b.journal.end());
}

TEST(SimServiceManager, ARequiredDeviceThatAppearsLateStartsTheServiceThen) {
  const std::string config = R"(
[a.service]
Requires=dev-x.device
After=dev-x.device
ExecStart=a
WantedBy=multi-user.target
)";
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    BootOutcome b = boot(config, seed, [](Execution& ex, SimWorld& w) {
      w.sim_kernel_devices().add_module("x", {"x"});
      w.sim_udevd().add_rules(parse_udev_rules("test.rules", "KERNEL==\"x\", TAG+=\"systemd\"\n").rules);
      w.sim_udevd().start();
      ex.spawn("late modprobe", [&ex, &w] {
        ex.sched().sleep(5'000'000'000ULL);
        w.kernel_modules().modprobe("x");
      });
    });
    ASSERT_FALSE(b.result.failed()) << b.result.message;
    EXPECT_TRUE(b.a_started) << "seed " << seed;
    EXPECT_EQ(b.a_result, "done");
    EXPECT_EQ(b.device_result, "done");
    EXPECT_LT(b.end_time, 90'000'000'000ULL);
  }
}

TEST(SimServiceManager, NotifyServicesAreStartedAtReadyAndFailWhenTheyExitBeforeIt) {
  const std::string config = R"(
[a.service]
Type=notify
RemainAfterExit=yes
ExecStart=a
WantedBy=multi-user.target
[c.service]
Type=notify
ExecStart=quits
WantedBy=multi-user.target
)";
  BootOutcome b = boot(config, 3, [](Execution&, SimWorld& w) {
    w.sim_services().bind_program("quits", [] { return 1; });
  });
  EXPECT_EQ(b.a_state, "active");
  EXPECT_EQ(b.a_result, "done");
  EXPECT_NE(std::find(b.journal.begin(), b.journal.end(), "Failed to start c.service."), b.journal.end());
}

// Example 5: a default service is ordered after sysinit.target, which waits for modules-load only while
// modules-load says Before=sysinit.target itself.
bool service_ever_starts_before_modules_load_ends(const std::string& modules_load_unit) {
  const std::string config = modules_load_unit + R"(
[a.service]
ExecStart=a
WantedBy=multi-user.target
)";
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    BootOutcome b = boot(config, seed, [](Execution&, SimWorld& w) {
      w.sim_services().bind_program("systemd-modules-load", [&w] {
        w.device_nodes().node_exists("/dev/null");
        w.device_nodes().node_exists("/dev/null");
        return 0;
      });
    });
    // "a start" is recorded; the modules-load program is done when its sigchld shows in the journal.
    const bool modules_load_done_first =
        std::find(b.journal.begin(), b.journal.end(), "Finished systemd-modules-load.service.") < 
        std::find(b.journal.begin(), b.journal.end(), "Starting a.service...");
    if (!modules_load_done_first) return true;
  }
  return false;
}

TEST(SimServiceManager, StandardModulesLoadUnitOrdersSysinit) {
  EXPECT_FALSE(service_ever_starts_before_modules_load_ends(""));
}

TEST(SimServiceManager, ModulesLoadWithoutBeforeSysinitIsNotWaitedFor) {
  EXPECT_TRUE(service_ever_starts_before_modules_load_ends(R"(
[systemd-modules-load.service]
DefaultDependencies=no
WantedBy=sysinit.target
Type=oneshot
RemainAfterExit=yes
ExecStart=systemd-modules-load
)"));
}

// What a scenario reads to say which referenced units it leaves out: the parser's reading of the file, so a
// continued line and a reset list count as systemd counts them, and the default dependencies do not.
TEST(SimServiceManager, AUnitsReferencesAreWhatItsFileSaysAsParsed) {
  std::vector<std::string> refs, unknown_unit;
  testing::run_sim([&](Execution&, SimWorld& w) {
    Boot& boot = w.boot();
    boot.load_unit_file("a.service", "[Unit]\nWants=x.service \\\n  y.service\nAfter=z.target\nAfter=\n"
                                     "After=w.target\nBefore=v.target\nRequires=u.mount\n[Service]\nType=oneshot\n");
    for (const auto& [key, unit] : boot.references_of("a.service")) refs.push_back(key + "=" + unit);
    for (const auto& [key, unit] : boot.references_of("nothing.service")) unknown_unit.push_back(key + "=" + unit);
  });
  EXPECT_EQ(refs, (std::vector<std::string>{"Requires=u.mount", "Wants=x.service", "Wants=y.service",
                                            "After=w.target", "Before=v.target"}));
  EXPECT_TRUE(unknown_unit.empty());
}

}  // namespace
}  // namespace xenrace
