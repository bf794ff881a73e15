// How XenStore operations are written into a trace, shared by every backend: a schedule replayed on a
// real dom0 must produce trace lines that compare with the simulator's.
#pragma once
#include <string>
#include <string_view>

#include "world/xenstore.hpp"

namespace xenrace::xs_trace {

std::string shorten(std::string_view s);                 // long values are cut, with their size
std::string with_tx(TxId tx, std::string_view rest);    // "t3 /path" inside a transaction
std::string format_perms(const XsPerms& perms);          // "n0 r5"

}  // namespace xenrace::xs_trace
