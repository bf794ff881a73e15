// The choke point of visible operations. Every operation a World component performs for the calling actor
// (a XenStore request, an ioctl, a sysfs write, one step of a kernel path) goes through visible_op, which
// does, in this order and nowhere else:
//
//   1. the scheduling point (Execution::before_visible: the strategy may run another actor first, and a
//      killable actor may be killed here, before anything happened);
//   2. the failure point, when the call site declares one: Execution::fault asks the backend's fault hook
//      (the simulator's explored choice, or libfiu on dom0); when it fires, the body is not run and the
//      operation returns the errno (the hook has already traced "fault.<point>");
//   3. the operation itself, `body()`;
//   4. its trace event "op args -> result", the result text derived from what body() returned.
//
//   Errno write(...) {
//     return visible_op(ex_, "xs.write", Fault{FaultPoint::xenstore_write, path}, args, [&] { return store_.write(...); });
//   }
//
// body() returns Errno, Result<T> or void. The result text is `describe(r)` (Errno: its name; void: "OK";
// Result<std::string>: the value or the errno name), or what an explicit `format` gives: a callable taking
// the result (or nothing, for void), or a fixed text. `args` is text, or a callable run after the body when
// the arguments are only known then (which loop device an fd named, say).
//
// A failure point the real component reaches only after checking its arguments is asked inside the body
// with fault_at(ex, point, target), so exploration asks it exactly where the kernel could fail.
// op_within_step() is steps 2 to 4 alone, for an operation that touches only what its actor owns (see there).
// note_event() traces an event that has no scheduling point of its own: a second event inside one step
// (a kernel warning), the completion of an operation whose steps were traced one by one, or what the
// kernel does for an actor at its exit. visible_step() is a step of a daemon or kernel path whose events,
// zero or more, are not one operation's: the scheduling point, then the body, which notes them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "runtime/execution.hpp"
#include "world/result.hpp"

namespace xenrace {

// A failure point of the catalogue (faults/fault_catalogue.hpp: FaultPoint) and the target its fault
// event names. Point is a template parameter because the catalogue sits a floor above this one.
template <class Point>
struct Fault {
  Point point;
  std::string_view target = {};
};
template <class Point>
Fault(Point) -> Fault<Point>;
template <class Point>
Fault(Point, std::string_view) -> Fault<Point>;

// 0, or the errno `point` fails with now (the fault event is already traced). For a failure point asked
// inside a visible operation's body.
template <class Point>
Errno fault_at(Execution& ex, Point point, std::string_view target = {}) {
  return ex.fault(static_cast<std::uint8_t>(point), target);
}

// An event without a scheduling point of its own (see above).
inline void note_event(Execution& ex, std::string_view op, std::string_view args, std::string_view result) {
  ex.record(op, args, result);
}

// A step of a daemon or kernel path that traces its own events (note_event), if any.
template <class Body>
void visible_step(Execution& ex, Body&& body) {
  ex.before_visible();
  body();
}

// The result text of a visible operation, by the type its body returns.
inline const char* describe(Errno e) { return errno_name(e); }
inline std::string_view describe(const std::string& text) { return text; }  // a body that says what happened
inline std::string_view describe(const Result<std::string>& r) {
  return r.ok() ? std::string_view(r.value) : std::string_view(errno_name(r.err));
}

// A formatter for Result<T>: `text(value)` on success, the errno name on failure.
template <class F>
auto value_or_errno(F text) {
  return [text = std::move(text)](const auto& r) -> std::string {
    return r.ok() ? std::string(text(r.value)) : std::string(errno_name(r.err));
  };
}

namespace visible_detail {

struct Describe {
  template <class R>
  decltype(auto) operator()(const R& r) const {
    return describe(r);
  }
  std::string_view operator()() const { return "OK"; }
};

template <class R>
R failed(Errno e) {
  static_assert(!std::is_void_v<R>, "an operation with a failure point returns Errno or Result<T>");
  if constexpr (std::is_same_v<R, Errno>) return e;
  else return R::error(e);
}

template <class Args>
decltype(auto) args_text(Args& args) {
  if constexpr (std::is_invocable_v<Args&>) return args();
  else return std::string_view(args);
}

template <class R, class Format>
decltype(auto) result_text(Format& format, const R& r) {
  if constexpr (std::is_convertible_v<Format&, std::string_view>) return std::string_view(format);
  else return format(r);
}
template <class Format>
decltype(auto) result_text(Format& format) {
  if constexpr (std::is_convertible_v<Format&, std::string_view>) return std::string_view(format);
  else return format();
}

template <class Args, class Body, class Format>
auto run(Execution& ex, std::string_view op, Args& args, Body& body, Format& format) {
  using R = std::invoke_result_t<Body&>;
  if constexpr (std::is_void_v<R>) {
    body();
    ex.record(op, args_text(args), result_text(format));
  } else {
    R r = body();
    ex.record(op, args_text(args), result_text(format, r));
    return r;
  }
}

template <class T>
inline constexpr bool is_fault = false;
template <class Point>
inline constexpr bool is_fault<Fault<Point>> = true;

}  // namespace visible_detail

// An operation that runs inside the calling actor's current step: steps 2 to 4 of visible_op (below), with no
// scheduling point (and so no kill point) of its own. Only for what no other actor can tell apart from the end of
// the step before it: an operation whose every access is the actor's own (a XenStore request on a transaction's
// private copies, world/transaction_copies.hpp). It commutes with every other actor's step, so running it
// next to the actor's previous one loses no interleaving; a kill just before it ends as a kill at the next point.
template <class Args, class Body, class Format = visible_detail::Describe>
  requires(!visible_detail::is_fault<std::remove_cvref_t<Args>>)
auto op_within_step(Execution& ex, std::string_view op, Args&& args, Body&& body, Format&& format = Format{}) {
  return visible_detail::run(ex, op, args, body, format);
}
template <class Point, class Args, class Body, class Format = visible_detail::Describe>
auto op_within_step(Execution& ex, std::string_view op, Fault<Point> fault, Args&& args, Body&& body,
                    Format&& format = Format{}) {
  using R = std::invoke_result_t<Body&>;
  if (const Errno e = ex.fault(static_cast<std::uint8_t>(fault.point), fault.target)) [[unlikely]] {
    R r = visible_detail::failed<R>(e);
    ex.record(op, visible_detail::args_text(args), visible_detail::result_text(format, r));
    return r;
  }
  return visible_detail::run(ex, op, args, body, format);
}

// One visible operation of the calling actor, without a failure point.
template <class Args, class Body, class Format = visible_detail::Describe>
  requires(!visible_detail::is_fault<std::remove_cvref_t<Args>>)
auto visible_op(Execution& ex, std::string_view op, Args&& args, Body&& body, Format&& format = Format{}) {
  ex.before_visible();
  return op_within_step(ex, op, args, body, format);
}

// One visible operation of the calling actor, which fails at `fault` when that point fires.
template <class Point, class Args, class Body, class Format = visible_detail::Describe>
auto visible_op(Execution& ex, std::string_view op, Fault<Point> fault, Args&& args, Body&& body,
                Format&& format = Format{}) {
  ex.before_visible();
  return op_within_step(ex, op, fault, args, body, format);
}

}  // namespace xenrace
