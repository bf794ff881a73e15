// demo-counter: the smallest race, to prove the runtime before any Xen component exists.
// Two clients (`--param clients=N` for up to eight: client A, B, C...) increment a counter kept in a toy
// shared map. The buggy client reads the value and writes
// value+1 as two separate operations (the shape of libxl's num_devs read outside its transaction); the
// fixed client retries a compare-and-set until no one changed the value in between.
#include <map>
#include <string>

#include <fmt/format.h>

#include <xenrace/scenario.hpp>

namespace xenrace::scenario_demo_counter {  // names of its own (CI builds in unity batches)
namespace {

// A map whose every access is a visible operation.
class ToyMap {
 public:
  explicit ToyMap(Execution& ex) : ex_(ex) {}
  int get(const std::string& key) {
    return visible_op(ex_, "map.get", key, [&] { return values_[key]; }, [](int v) { return std::to_string(v); });
  }
  void put(const std::string& key, int value) {
    visible_op(ex_, "map.put", fmt::format("{}={}", key, value), [&] { values_[key] = value; });
  }
  bool compare_and_set(const std::string& key, int expected, int value) {
    return visible_op(ex_, "map.cas", fmt::format("{}: {}->{}", key, expected, value), [&] {
      const bool ok = values_[key] == expected;
      if (ok) values_[key] = value;
      return ok;
    }, [](bool ok) { return ok ? "OK" : "CHANGED"; });
  }
  int peek(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? 0 : it->second;
  }

 private:
  Execution& ex_;
  std::map<std::string, int> values_;
};

}  // namespace

XENRACE_SCENARIO({
    .name = "demo-counter",
    .description = "Clients (two by default) increment a shared counter: read-then-write loses an update, compare-and-set does not.",
    .source = "xenrace's own demonstration of the runtime (the shape of the libxl num_devs race)",
    .tags = {"demo"},
    .variants = {{"buggy", Expect::fail, "read the counter, then write counter+1 as a separate operation"},
                 {"fixed", Expect::pass, "compare-and-set retried until nobody changed the counter meanwhile"}},
    .default_iterations = 500,
    .params = {integer_param("clients", 2, "how many clients increment the counter at once (client A, B, ...)", 2, 8)},
}) {
  auto& map = race.make<ToyMap>(race.ex);
  auto& done = race.make<int>(0);
  const bool buggy = race.is("buggy");
  const int clients = race.param<int>("clients");
  for (int i = 0; i < clients; ++i) {
    race.spawn(fmt::format("client {}", static_cast<char>('A' + i)), [&map, &done, buggy] {
      if (buggy) {
        int v = map.get("counter");
        map.put("counter", v + 1);
      } else {
        for (;;) {
          int v = map.get("counter");
          if (map.compare_and_set("counter", v, v + 1)) break;
        }
      }
      ++done;
    });
  }
  race.at_end("no lost update", [&map, &done] {
    int v = map.peek("counter");
    return v == done ? std::string() : fmt::format("counter is {} after {} increments: an update was lost", v, done);
  });
}


}  // namespace xenrace::scenario_demo_counter
