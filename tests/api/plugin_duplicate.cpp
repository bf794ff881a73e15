// A library whose scenario takes a built-in's name: `xenrace --load` must refuse it, naming the name.
#include <xenrace/scenario.hpp>

XENRACE_SCENARIO({
    .name = "demo-counter",
    .variants = {{"v", xenrace::Expect::pass, "never runs"}},
}) {
  (void)race;
}
