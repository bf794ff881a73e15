#include "run/shared_budget.hpp"

#include <pthread.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace xenrace {

struct SharedBudget::Shared {
  pthread_mutex_t lock;
  pthread_cond_t round_ended;
  std::uint64_t round = 0;
  std::uint64_t left = 0;  // not yet given to any worker
  std::uint64_t spent = 0; // used in rounds that ended, and by workers that finished
  unsigned waiting = 0;    // workers that used their share this round
  unsigned searching = 0;  // workers not finished
  bool stopped = false;
};

struct SharedBudget::Part {
  std::uint64_t share = 0;  // given this round
  std::uint64_t used = 0;   // of it
  bool waits = false;
  bool done = false;
};

namespace {
void check(int error, const char* what) {
  if (error != 0) throw std::runtime_error(std::string(what) + ": " + std::strerror(error));
}

class Locked {
 public:
  explicit Locked(pthread_mutex_t& m) : m_(m) { pthread_mutex_lock(&m_); }
  ~Locked() { pthread_mutex_unlock(&m_); }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;

 private:
  pthread_mutex_t& m_;
};
}  // namespace

SharedBudget::SharedBudget(std::uint64_t total, unsigned parts)
    : bytes_(sizeof(Shared) + sizeof(Part) * (parts ? parts : 1)), total_(total), count_(parts ? parts : 1) {
  void* page = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw std::runtime_error(std::string("mmap of a shared budget: ") + std::strerror(errno));
  shared_ = new (page) Shared{};
  parts_ = new (static_cast<char*>(page) + sizeof(Shared)) Part[count_];
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  check(pthread_mutex_init(&shared_->lock, &ma), "a shared budget's lock");
  pthread_mutexattr_destroy(&ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  check(pthread_cond_init(&shared_->round_ended, &ca), "a shared budget's condition");
  pthread_condattr_destroy(&ca);
  // The first round: an equal share each, the first parts one more while the remainder lasts.
  shared_->searching = count_;
  for (unsigned k = 0; k < count_; ++k) parts_[k].share = total / count_ + (k < total % count_ ? 1 : 0);
}

SharedBudget::~SharedBudget() {
  pthread_cond_destroy(&shared_->round_ended);
  pthread_mutex_destroy(&shared_->lock);
  ::munmap(shared_, bytes_);
}

// Every searching worker has used its share (or finished): give out what is left, in equal shares again.
void SharedBudget::end_round_locked() {
  Shared& s = *shared_;
  const unsigned waiting = s.waiting;  // every part whose `waits` is set
  const std::uint64_t left = s.stopped ? 0 : s.left;
  unsigned nth = 0;
  for (unsigned k = 0; k < count_; ++k) {
    Part& p = parts_[k];
    if (!p.waits) continue;
    s.spent += p.used;
    p.share = left / waiting + (nth++ < left % waiting ? 1 : 0);
    p.used = 0;
    p.waits = false;
  }
  s.left -= left;
  s.waiting = 0;
  ++s.round;
  pthread_cond_broadcast(&s.round_ended);
}

bool SharedBudget::take(unsigned part) {
  Part& p = parts_[part];
  if (p.used < p.share && !__atomic_load_n(&shared_->stopped, __ATOMIC_RELAXED)) {
    ++p.used;
    return true;
  }
  Shared& s = *shared_;
  Locked held(s.lock);
  if (s.stopped) return false;
  p.waits = true;
  s.left += p.share - p.used;  // nothing, unless it stopped early
  const std::uint64_t round = s.round;
  if (++s.waiting == s.searching) end_round_locked();
  while (s.round == round) pthread_cond_wait(&s.round_ended, &s.lock);
  if (p.share == 0) return false;
  ++p.used;
  return true;
}

void SharedBudget::give_back(unsigned part) {
  Part& p = parts_[part];
  if (p.used > 0) --p.used;
}

void SharedBudget::finished(unsigned part) {
  Part& p = parts_[part];
  Shared& s = *shared_;
  Locked held(s.lock);
  if (p.done) return;
  p.done = true;
  s.left += p.share - p.used;
  s.spent += p.used;
  p.share = p.used = 0;
  --s.searching;
  if (s.searching > 0 && s.waiting == s.searching) end_round_locked();
}

void SharedBudget::stop() {
  Shared& s = *shared_;
  Locked held(s.lock);
  __atomic_store_n(&s.stopped, true, __ATOMIC_RELAXED);
}

std::uint64_t SharedBudget::given() const {
  std::uint64_t out = __atomic_load_n(&shared_->spent, __ATOMIC_RELAXED);
  for (unsigned k = 0; k < count_; ++k) out += __atomic_load_n(&parts_[k].used, __ATOMIC_RELAXED);
  return out < total_ ? out : total_;
}

}  // namespace xenrace
