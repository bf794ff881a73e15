#include "world/result.hpp"

#include <cstring>

namespace xenrace {

namespace {
struct Name {
  Errno e;
  const char* name;
};
constexpr Name kNames[] = {
    {0, "OK"},          {EINVAL, "EINVAL"},     {EACCES, "EACCES"},   {EEXIST, "EEXIST"},
    {EISDIR, "EISDIR"}, {ENOENT, "ENOENT"},     {ENOMEM, "ENOMEM"},   {ENOSPC, "ENOSPC"},
    {EIO, "EIO"},       {ENOTEMPTY, "ENOTEMPTY"}, {ENOSYS, "ENOSYS"}, {EROFS, "EROFS"},
    {EBUSY, "EBUSY"},   {EAGAIN, "EAGAIN"},     {EISCONN, "EISCONN"}, {E2BIG, "E2BIG"},
    {EPERM, "EPERM"},   {ENXIO, "ENXIO"},       {ENODEV, "ENODEV"},   {ETIMEDOUT, "ETIMEDOUT"},
    {ENOTSUP, "ENOTSUP"}, {EBADF, "EBADF"},     {ESRCH, "ESRCH"},     {EINTR, "EINTR"},
    {ENOTDIR, "ENOTDIR"}, {ECONNRESET, "ECONNRESET"}, {EPIPE, "EPIPE"}, {EMFILE, "EMFILE"},
    {ERANGE, "ERANGE"},   {EFAULT, "EFAULT"},  // blkback's diskseq parser
    {EDEADLK, "EDEADLK"},  // fcntl F_SETLKW's deadlock detection
};
}  // namespace

const char* errno_name(Errno e) {
  for (const auto& n : kNames)
    if (n.e == e) return n.name;
  return "EUNKNOWN";
}

Errno errno_from_name(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.e;
  return -1;
}

}  // namespace xenrace
