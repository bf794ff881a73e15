#include "runtime/schedule.hpp"

#include <array>

namespace xenrace {

namespace {

constexpr std::string_view kPrefix = "xr1-";
constexpr std::uint8_t kFormat = 2;     // 2: the schedule is followed by the recorded fingerprint
constexpr std::uint8_t kOldFormat = 1;  // 1: no fingerprint; still read
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::uint32_t fnv1a32(const std::string& bytes) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : bytes) h = (h ^ c) * 16777619u;
  return h;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

std::string base64url(const std::string& in) {
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t n = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(n >> s) & 63]);
  }
  if (std::size_t rest = in.size() - i) {
    std::uint32_t n = std::uint8_t(in[i]) << 16;
    if (rest == 2) n |= std::uint8_t(in[i + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(n >> 6) & 63]);
  }
  return out;
}

std::string unbase64url(std::string_view in) {
  std::array<int, 256> rev;
  rev.fill(-1);
  for (int i = 0; i < 64; ++i) rev[static_cast<unsigned char>(kAlphabet[i])] = i;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    int v = rev[static_cast<unsigned char>(in[i])];
    if (v < 0)
      throw UsageError("invalid replay token: character '" + std::string(1, in[i]) + "' at position " +
                       std::to_string(i + kPrefix.size()) + " is not base64url");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (in.size() % 4 == 1) throw UsageError("invalid replay token: its length is impossible (truncated?)");
  return out;
}

class Reader {
 public:
  explicit Reader(const std::string& bytes) : b_(bytes) {}
  std::uint64_t varint(const char* what) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= b_.size()) truncated(what);
      auto c = static_cast<std::uint8_t>(b_[pos_++]);
      v |= std::uint64_t(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    throw UsageError(std::string("invalid replay token: malformed number in ") + what);
  }
  std::string string(const char* what) {
    std::uint64_t n = varint(what);
    if (n > b_.size() - pos_) truncated(what);
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::uint8_t byte(const char* what) {
    if (pos_ >= b_.size()) truncated(what);
    return static_cast<std::uint8_t>(b_[pos_++]);
  }
  bool at_end() const { return pos_ == b_.size(); }

 private:
  [[noreturn]] static void truncated(const char* what) {
    throw UsageError(std::string("invalid replay token: truncated (while reading ") + what + ")");
  }
  const std::string& b_;
  std::size_t pos_ = 0;
};

}  // namespace

const std::string* ReplayToken::param(std::string_view key) const {
  for (const auto& [k, v] : params)
    if (k == key) return &v;
  return nullptr;
}

std::string ReplayToken::encode() const {
  std::string b;
  b.push_back(static_cast<char>(kFormat));
  put_string(b, version);
  put_string(b, scenario);
  put_string(b, variant);
  put_string(b, strategy);
  put_varint(b, seed);
  put_varint(b, params.size());
  for (const auto& [k, v] : params) {
    put_string(b, k);
    put_string(b, v);
  }
  put_varint(b, schedule.total);
  put_varint(b, schedule.decisions.size());
  std::uint32_t next = 0;
  for (const auto& d : schedule.decisions) {
    put_varint(b, d.index - next);  // gap since the previous explicit decision: small numbers, short token
    b.push_back(static_cast<char>(d.kind));
    put_varint(b, d.value);
    next = d.index + 1;
  }
  b.push_back(recorded ? 1 : 0);
  if (recorded) {
    put_varint(b, recorded->steps);
    put_varint(b, recorded->trace_hash);
  }
  std::uint32_t sum = fnv1a32(b);
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  return std::string(kPrefix) + base64url(b);
}

ReplayToken ReplayToken::decode(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  if (text.substr(0, kPrefix.size()) != kPrefix)
    throw UsageError("invalid replay token: it must start with '" + std::string(kPrefix) +
                     "' (copy the whole token printed after 'xenrace replay')");
  std::string bytes = unbase64url(text.substr(kPrefix.size()));
  if (bytes.size() < 5) throw UsageError("invalid replay token: truncated (too short)");
  std::uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= std::uint32_t(std::uint8_t(bytes[bytes.size() - 4 + i])) << (8 * i);
  bytes.resize(bytes.size() - 4);
  if (fnv1a32(bytes) != stored)
    throw UsageError("invalid replay token: checksum mismatch (the token was truncated or altered)");
  Reader r(bytes);
  std::uint8_t format = r.byte("format");
  if (format != kFormat && format != kOldFormat)
    throw UsageError("invalid replay token: token format " + std::to_string(format) + " is not known to this xenrace");
  ReplayToken t;
  t.version = r.string("version");
  t.scenario = r.string("scenario");
  t.variant = r.string("variant");
  t.strategy = r.string("strategy");
  t.seed = r.varint("seed");
  std::uint64_t nparams = r.varint("parameter count");
  if (nparams > 64) throw UsageError("invalid replay token: too many parameters");
  for (std::uint64_t i = 0; i < nparams; ++i) {
    std::string k = r.string("parameter name");
    t.params.emplace_back(std::move(k), r.string("parameter value"));
  }
  t.schedule.total = static_cast<std::uint32_t>(r.varint("decision count"));
  std::uint64_t n = r.varint("decision count");
  if (n > t.schedule.total) throw UsageError("invalid replay token: more explicit decisions than decisions");
  std::uint64_t next = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    Decision d;
    std::uint64_t index = next + r.varint("decision");
    std::uint8_t kind = r.byte("decision kind");
    if (kind > static_cast<std::uint8_t>(ChoiceKind::fault))
      throw UsageError("invalid replay token: unknown decision kind " + std::to_string(kind));
    d.kind = static_cast<ChoiceKind>(kind);
    d.value = static_cast<std::uint32_t>(r.varint("decision value"));
    if (index >= t.schedule.total) throw UsageError("invalid replay token: decision past the end of the schedule");
    d.index = static_cast<std::uint32_t>(index);
    t.schedule.decisions.push_back(d);
    next = index + 1;
  }
  if (format >= 2) {
    const std::uint8_t has = r.byte("fingerprint flag");
    if (has > 1) throw UsageError("invalid replay token: malformed fingerprint flag " + std::to_string(has));
    if (has) {
      ExecutionFingerprint f;
      f.steps = r.varint("fingerprint steps");
      f.trace_hash = r.varint("fingerprint trace hash");
      t.recorded = f;
    }
  }
  if (!r.at_end()) throw UsageError("invalid replay token: trailing bytes after the schedule");
  return t;
}

}  // namespace xenrace
