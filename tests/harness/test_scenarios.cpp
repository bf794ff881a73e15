#include "test_scenarios.hpp"

namespace xenrace::testing {

void spawn_steppers(Execution& ex, int actors, int steps, std::string* order) {
  for (int a = 0; a < actors; ++a) {
    const char letter = static_cast<char>('A' + a);
    ex.spawn(std::string(1, letter), [&ex, steps, order, letter] {
      for (int i = 0; i < steps; ++i) {
        ex.before_visible();
        if (order) order->push_back(letter);
        ex.record("step", std::string(1, letter), "OK");
      }
    });
  }
}

}  // namespace xenrace::testing
