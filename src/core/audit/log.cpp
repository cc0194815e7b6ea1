#include "core/audit/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "core/fd.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "core/hex.h"
#include "core/locked_file.h"
#include "core/random.h"
#include "core/xdg.h"

namespace keyward::audit {
namespace {

constexpr std::size_t kMaxProblems = 20;

tl::unexpected<Error> os_error(const std::string& what, const std::string& path) {
  return fail(Errc::io, what + " " + path + ": " + std::strerror(errno));
}

tl::unexpected<Error> broken(const std::string& what) {
  return fail(Errc::integrity,
              "the audit log is not intact: " + what +
                  "; nothing more is recorded until it is dealt with (`keyward audit --verify` "
                  "explains; docs/format-audit.md section 6 says how to start a new log)");
}

Status write_all(int fd, std::string_view text, const std::string& path) {
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("cannot write", path);
    off += static_cast<std::size_t>(n);
  }
  return ok();
}

Status pread_all(int fd, char* buf, std::size_t n, std::uint64_t at, const std::string& path) {
  std::size_t off = 0;
  while (off < n) {
    ssize_t got = ::pread(fd, buf + off, n - off, static_cast<off_t>(at + off));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return os_error("cannot read", path);
    off += static_cast<std::size_t>(got);
  }
  return ok();
}

// The head file's text, or nullopt if it does not exist.
Result<std::optional<std::string>> read_small(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return os_error("cannot open", path);
  }
  Fd guard(fd);
  std::string out;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os_error("cannot read", path);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > 4096) break;
  }
  return std::optional<std::string>(std::move(out));
}

Result<std::string> read_all(int fd, std::uint64_t size, const std::string& path) {
  std::string out(size, '\0');
  if (size > 0) KW_TRY_STATUS(pread_all(fd, out.data(), size, 0, path));
  return out;
}

// Position of the last '\n' strictly before `before`, or -1. Reads backwards in chunks and
// gives up (malformed) after kMaxLine + 1 bytes without a newline.
Result<std::int64_t> prev_newline(int fd, std::uint64_t before, const std::string& path) {
  constexpr std::size_t kChunk = 65536;
  std::string buf;
  std::uint64_t pos = before, scanned = 0;
  while (pos > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, pos));
    pos -= n;
    buf.resize(n);
    KW_TRY_STATUS(pread_all(fd, buf.data(), n, pos, path));
    auto at = buf.rfind('\n');
    if (at != std::string::npos) return static_cast<std::int64_t>(pos + at);
    scanned += n;
    if (scanned > kMaxLine + 1) return fail(Errc::malformed, "audit log line too long");
  }
  return std::int64_t{-1};
}

struct Tail {
  std::uint64_t complete_end = 0;  // bytes up to and including the last newline
  std::string last_line;           // the last complete line, empty if none
  bool fragment = false;           // bytes after the last newline
};

Result<Tail> read_tail(int fd, std::uint64_t size, const std::string& path) {
  Tail t;
  if (size == 0) return t;
  KW_TRY(auto nl, prev_newline(fd, size, path));
  if (nl < 0) {
    t.fragment = true;
    return t;
  }
  t.complete_end = static_cast<std::uint64_t>(nl) + 1;
  t.fragment = t.complete_end != size;
  KW_TRY(auto start_nl, prev_newline(fd, static_cast<std::uint64_t>(nl), path));
  std::uint64_t start = static_cast<std::uint64_t>(start_nl + 1);
  t.last_line.resize(static_cast<std::size_t>(static_cast<std::uint64_t>(nl) - start));
  if (!t.last_line.empty()) {
    KW_TRY_STATUS(pread_all(fd, t.last_line.data(), t.last_line.size(), start, path));
  }
  return t;
}

std::vector<std::string_view> split_lines(std::string_view text, std::string_view& fragment) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) break;
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  fragment = text.substr(start);
  return out;
}

Digest mac_of(std::string_view label_text, const SecretBytes& key, const VaultId& vid,
              std::string_view body) {
  Bytes msg = to_bytes(label_text);
  append(msg, vid);
  auto len = static_cast<std::uint32_t>(body.size());
  for (int s = 24; s >= 0; s -= 8) msg.push_back(static_cast<std::uint8_t>(len >> s));
  append(msg, as_bytes(body));
  Bytes mac = hash::hmac_sha256(key, msg);
  Digest d{};
  std::copy(mac.begin(), mac.end(), d.begin());
  return d;
}

bool is_lower_hex(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_array(std::string_view s) {
  std::array<std::uint8_t, N> a{};
  auto b = encoding::hex_decode(s);
  if (b && b->size() == N) std::copy(b->begin(), b->end(), a.begin());
  return a;
}

std::string head_line(const Head& h, const SecretBytes& key, Status& st) {
  auto body = encode_head_body(h);
  if (!body) {
    st = tl::unexpected(body.error());
    return {};
  }
  return *body + " mac=" + encoding::hex_encode(head_mac(key, h.vault_id, *body)) + "\n";
}

// Every head is replaced whole (docs/format-audit.md section 4): written to a temporary file in
// the same directory, fsync'ed, renamed over the head, and the directory fsync'ed (`sync_dir`
// false: left to Log::settle). A kill, a full disk or an I/O error at any step leaves the old
// head or the new one, never an empty or partial file.
Status write_head(const std::string& path, const Head& h, const SecretBytes& key,
                  bool sync_dir = true) {
  Status st = ok();
  std::string line = head_line(h, key, st);
  if (!st) return st;
  return write_file_atomic(path, as_bytes(line), 0600, sync_dir);
}

// The log under a lock (exclusive for appenders, shared for readers). Log::set_aside replaces the
// file at the path, so a process that waited for the lock meanwhile opens it again.
Result<LockedFile> lock_log(const std::string& path, int flags, LockMode mode) {
  return LockedFile::open(path, flags, mode, /*reopen_if_replaced=*/true);
}

Status sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open", path);
  Fd guard(fd);
  if (::fdatasync(fd) != 0) return os_error("cannot sync", path);
  return ok();
}

// The head text parsed: nullopt for "no usable head" with the reason in `why`.
std::optional<Head> parse_head_text(std::string_view text) {
  if (text.empty() || text.back() != '\n') return std::nullopt;
  auto h = parse_head(text.substr(0, text.size() - 1));
  if (!h) return std::nullopt;
  return *h;
}

}  // namespace

Result<std::string> audit_directory(const std::string& dir) {
  if (!dir.empty()) return dir;
  return xdg_state_dir("audit");
}

std::string key_prefix(const Digest& key_id) {
  return encoding::hex_encode(ByteView(key_id).subspan(0, 8));
}

Result<std::string> encode_head_body(const Head& h) {
  if (!is_lower_hex(h.key, 16)) return fail(Errc::invalid_argument, "audit head: bad key id");
  return std::string(kHeadMagic) + " vault=" + encoding::hex_encode(h.vault_id) +
         " seq=" + std::to_string(h.seq) + " hash=" + encoding::hex_encode(h.hash) +
         " key=" + h.key;
}

Result<Head> parse_head(std::string_view line) {
  auto bad = [] { return fail(Errc::malformed, "audit head: not a kwaudit-head1 record"); };
  // Fixed layout: magic, then five key=value fields.
  static constexpr std::string_view kKeys[] = {"vault", "seq", "hash", "key", "mac"};
  std::string_view rest = line;
  auto sp = rest.find(' ');
  if (sp == std::string_view::npos || rest.substr(0, sp) != kHeadMagic) return bad();
  rest.remove_prefix(sp + 1);
  std::string_view values[5];
  for (std::size_t i = 0; i < 5; ++i) {
    sp = rest.find(' ');
    std::string_view tok = rest.substr(0, sp);
    if ((sp == std::string_view::npos) != (i == 4)) return bad();
    if (sp != std::string_view::npos) rest.remove_prefix(sp + 1);
    if (tok.size() <= kKeys[i].size() || tok.substr(0, kKeys[i].size()) != kKeys[i] ||
        tok[kKeys[i].size()] != '=') {
      return bad();
    }
    values[i] = tok.substr(kKeys[i].size() + 1);
  }
  Head h;
  if (!is_lower_hex(values[0], 32) || !is_lower_hex(values[2], 64) ||
      !is_lower_hex(values[3], 16) || !is_lower_hex(values[4], 64)) {
    return bad();
  }
  std::string_view seq = values[1];
  if (seq.empty() || seq.size() > 19 || (seq.size() > 1 && seq[0] == '0')) return bad();
  for (char c : seq) {
    if (c < '0' || c > '9') return bad();
    h.seq = h.seq * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (h.seq > (std::uint64_t{1} << 63) - 1) return bad();
  h.vault_id = hex_array<16>(values[0]);
  h.hash = hex_array<32>(values[2]);
  h.key = std::string(values[3]);
  h.mac = hex_array<32>(values[4]);
  if (h.seq == 0 && h.hash != Digest{}) return bad();
  return h;
}

Digest head_mac(const SecretBytes& key, const VaultId& vid, std::string_view body) {
  return mac_of(label::kHead, key, vid, body);
}

Log::Log(std::string dir, const VaultId& vid) : dir_(std::move(dir)), vid_(vid) {
  std::string name = encoding::hex_encode(vid_);
  log_ = dir_ + "/" + name + ".log";
  head_ = dir_ + "/" + name + ".head";
}

Result<Entry> Log::append(Event event, std::uint64_t time, const KeyRing& keys,
                          const std::optional<Anchor>& anchor, bool durable) const {
  const MacKey& current = keys.current;
  if (current.key == nullptr || !is_lower_hex(current.id, 16)) {
    return fail(Errc::internal, "audit append without a key");
  }
  KW_TRY_STATUS(make_private_dirs(dir_));
  KW_TRY(auto locked, lock_log(log_, O_RDWR | O_CREAT | O_APPEND, LockMode::exclusive));
  const int raw = locked.fd();
  struct stat st {};
  if (::fstat(raw, &st) != 0) return os_error("cannot stat", log_);
  auto size = static_cast<std::uint64_t>(st.st_size);
  const std::uint64_t anchored = anchor ? anchor->seq : 0;

  // 1. The head: present and verifying under the key it names, or absent (or left empty by an
  // interrupted creation) together with an empty log that the vault does not say held entries.
  KW_TRY(auto head_text, read_small(head_));
  Head head;
  // An empty head beside an empty log is a new log whose first head never got written (keyward
  // before the atomic creation left such a file after ENOSPC or a kill): start it again.
  bool new_log = !head_text || (head_text->empty() && size == 0);
  if (new_log) {
    if (size != 0) {
      return broken("the head file " + head_ + " is missing while " + log_ +
                    " holds entries (deleting the head hides removed entries)");
    }
    if (anchored > 0) {
      return broken("the log " + log_ + " is missing or empty, but the vault records that this "
                    "machine's log held " + std::to_string(anchored) +
                    " entries at its last change (the log was deleted or replaced)");
    }
    head.vault_id = vid_;
    head.key = current.id;
    KW_TRY_STATUS(write_head(head_, head, *current.key));
  } else {
    auto parsed = parse_head_text(*head_text);
    if (!parsed || parsed->vault_id != vid_) {
      return broken("the head file " + head_ + " is damaged or belongs to another vault");
    }
    head = *parsed;
    const MacKey* k = keys.find(head.key);
    if (k == nullptr) {
      return broken("the head file " + head_ + " was written under master key " + head.key +
                    ", which this vault has never had (the head was replaced, or the vault was "
                    "re-keyed by another process: run the command again)");
    }
    KW_TRY(auto body, encode_head_body(head));
    if (!ct_equal(head_mac(*k->key, vid_, body), head.mac)) {
      return broken("the head file " + head_ + " does not verify (edited or replaced)");
    }
  }

  // 2. The log must end where the head says (entries after it are from an interrupted append
  // and must verify one by one), and reach the vault's anchor.
  KW_TRY(auto tail, read_tail(raw, size, log_));
  std::uint64_t last_seq = 0;
  Digest last_hash{};
  if (!tail.last_line.empty()) {
    auto last = parse_line(tail.last_line);
    if (!last) return broken("the last entry of " + log_ + " is damaged");
    last_seq = last->seq;
    last_hash = chain_hash(tail.last_line);
  } else if (tail.complete_end != 0) {
    return broken("the log " + log_ + " holds an empty line");
  }
  if (last_seq < head.seq) {
    return broken("entries were removed from the end of " + log_ + ": its head records entry " +
                  std::to_string(head.seq) + " but the log ends at entry " +
                  std::to_string(last_seq));
  }
  if (last_seq == head.seq && last_hash != head.hash) {
    return broken("the last entry of " + log_ + " is not the one its head records");
  }
  if (last_seq < anchored) {
    return broken("entries were removed from the end of " + log_ + ": the vault records that "
                  "this machine's log held entry " + std::to_string(anchored) +
                  " at its last change, but the log ends at entry " + std::to_string(last_seq));
  }
  if (anchor && last_seq == anchored && last_hash != anchor->hash) {
    return broken("the log " + log_ + " is not the one the vault recorded at its last change "
                  "(it was replaced)");
  }
  if (last_seq > head.seq) {
    KW_TRY(auto text, read_all(raw, tail.complete_end, log_));
    std::string_view frag;
    auto lines = split_lines(text, frag);
    if (lines.size() != last_seq) return broken("the entries of " + log_ + " are not numbered 1..N");
    Digest prev = head.seq == 0 ? Digest{} : chain_hash(lines[head.seq - 1]);
    if (prev != head.hash) return broken("the log " + log_ + " was rewritten before its head");
    long rank = keys.rank(head.key);
    for (std::uint64_t i = head.seq; i < lines.size(); ++i) {
      auto e = parse_line(lines[i]);
      const MacKey* k = e ? keys.find(e->key) : nullptr;
      long r = e ? keys.rank(e->key) : -1;
      if (k == nullptr || r < rank || e->seq != i + 1 || e->prev != prev ||
          !ct_equal(entry_mac(*k->key, vid_, line_body(lines[i])), e->mac)) {
        return broken("entry " + std::to_string(i + 1) + " of " + log_ +
                      ", written after the head, does not verify");
      }
      rank = r;
      prev = chain_hash(lines[i]);
    }
  }
  if (tail.fragment) {
    // An interrupted write left a partial line the head never covered: drop it.
    if (::ftruncate(raw, static_cast<off_t>(tail.complete_end)) != 0) {
      return os_error("cannot repair", log_);
    }
    size = tail.complete_end;
  }

  // 3. Write the entry, then the head.
  Entry e;
  e.seq = last_seq + 1;
  e.time = time;
  e.key = current.id;
  e.prev = last_seq == 0 ? Digest{} : last_hash;
  e.event = std::move(event);
  KW_TRY(auto body, encode_body(e));
  e.mac = entry_mac(*current.key, vid_, body);
  std::string line = body + " mac=" + encoding::hex_encode(e.mac);
  Digest hash = chain_hash(line);
  line.push_back('\n');
  if (auto w = write_all(raw, line, log_); !w) {
    if (::ftruncate(raw, static_cast<off_t>(size)) != 0) { /* the next append drops the fragment */ }
    return tl::unexpected(w.error());
  }
  if (durable && ::fdatasync(raw) != 0) return os_error("cannot sync", log_);
  Head next;
  next.vault_id = vid_;
  next.seq = e.seq;
  next.hash = hash;
  next.key = current.id;
  // The head file itself is always synced before it replaces the old one; a non-durable append
  // leaves only the directory's fsync (the rename) to settle().
  KW_TRY_STATUS(write_head(head_, next, *current.key, durable));
  return e;
}

Status Log::settle() const {
  KW_TRY_STATUS(sync_file(log_));
  return sync_parent_directory(head_);
}

Result<Anchor> Log::tail() const {
  Anchor a;
  auto locked = lock_log(log_, O_RDONLY, LockMode::shared);
  if (!locked && locked.error().code == Errc::not_found) return a;
  if (!locked) return tl::unexpected(locked.error());
  const int raw = locked->fd();
  struct stat st {};
  if (::fstat(raw, &st) != 0) return os_error("cannot stat", log_);
  KW_TRY(auto t, read_tail(raw, static_cast<std::uint64_t>(st.st_size), log_));
  if (t.last_line.empty()) return a;
  KW_TRY(auto e, parse_line(t.last_line));
  a.seq = e.seq;
  a.hash = chain_hash(t.last_line);
  return a;
}

Result<std::string> Log::set_aside(std::uint64_t time, const KeyRing& keys) const {
  // The seq-0 head of the new log goes under the oldest key the vault has, so that until the old
  // log is gone (a kill in between) its entries, under whichever key, still follow the head.
  const MacKey* oldest = &keys.current;
  for (const auto& k : keys.earlier) {
    if (k.key != nullptr && is_lower_hex(k.id, 16)) {
      oldest = &k;
      break;
    }
  }
  if (oldest->key == nullptr || !is_lower_hex(oldest->id, 16)) {
    return fail(Errc::internal, "audit restart without a key");
  }
  KW_TRY_STATUS(make_private_dirs(dir_));
  // Under the appenders' lock. The old files are kept by new names (hard links, so the log and
  // head stay in place meanwhile), then the head moves to an empty log (seq 0) and the log goes:
  // a kill or a failure at any step leaves a log its head and the vault accept (the old one, the
  // old one with a seq-0 head, or the new empty one), and running this again completes it.
  struct stat st {};
  bool had_log = ::stat(log_.c_str(), &st) == 0;
  if (!had_log && errno != ENOENT) return os_error("cannot stat", log_);
  KW_TRY(auto locked, lock_log(log_, O_RDWR | O_CREAT, LockMode::exclusive));
  if (::fstat(locked.fd(), &st) != 0) return os_error("cannot stat", log_);
  bool keep_log = had_log || st.st_size > 0;
  struct stat hs {};
  bool keep_head = ::lstat(head_.c_str(), &hs) == 0;
  if (!keep_head && errno != ENOENT) return os_error("cannot stat", head_);
  // `<name>.<time>.old`, or `<name>.<time>-N.old` when an earlier restart used that second.
  std::string suffix;
  for (int n = 1;; ++n) {
    suffix = "." + std::to_string(time) + (n == 1 ? std::string() : "-" + std::to_string(n)) +
             ".old";
    struct stat ignored {};
    if (::lstat((log_ + suffix).c_str(), &ignored) != 0 &&
        ::lstat((head_ + suffix).c_str(), &ignored) != 0) {
      break;
    }
    if (n == 1000) return fail(Errc::io, "cannot find a free name for the old audit log in " + dir_);
  }
  std::string kept;
  if (keep_log) {
    if (::link(log_.c_str(), (log_ + suffix).c_str()) != 0) return os_error("cannot keep", log_);
    kept = log_ + suffix;
  }
  if (keep_head && ::link(head_.c_str(), (head_ + suffix).c_str()) != 0) {
    return os_error("cannot keep", head_);
  }
  if (keep_log || keep_head) KW_TRY_STATUS(sync_parent_directory(log_));
  Head empty;
  empty.vault_id = vid_;
  empty.key = oldest->id;
  KW_TRY_STATUS(write_head(head_, empty, *oldest->key));
  if (::unlink(log_.c_str()) != 0 && errno != ENOENT) return os_error("cannot move", log_);
  // As after any rename: the new state is in place; a power loss before the directory reaches
  // the disk brings back the old log with the seq-0 head, which is accepted too.
  (void)sync_parent_directory(log_);
  return kept;
}

Result<Report> Log::verify(const KeyRing& keys, const std::optional<Anchor>& anchor) const {
  const MacKey& current = keys.current;
  Report r;
  r.anchor_seq = anchor ? anchor->seq : 0;
  auto problem = [&](std::string text) {
    if (r.problems.size() < kMaxProblems) {
      r.problems.push_back(std::move(text));
    } else if (r.problems.size() == kMaxProblems) {
      r.problems.push_back("(further problems not listed)");
    }
  };
  std::string text;
  bool have_log = false;
  auto locked = lock_log(log_, O_RDONLY, LockMode::shared);  // held until the head is read too
  if (!locked && locked.error().code != Errc::not_found) return tl::unexpected(locked.error());
  if (locked) {
    const int raw = locked->fd();
    have_log = true;
    struct stat st {};
    if (::fstat(raw, &st) != 0) return os_error("cannot stat", log_);
    KW_TRY(text, read_all(raw, static_cast<std::uint64_t>(st.st_size), log_));
  }
  KW_TRY(auto head_text, read_small(head_));
  if (!have_log && !head_text) {
    if (r.anchor_seq > 0) {
      problem("there is no audit log for this vault at " + log_ + ", but the vault records "
              "that this machine's log held " + std::to_string(r.anchor_seq) +
              " entries at its last change: the log was deleted");
    } else {
      problem("there is no audit log for this vault at " + log_);
    }
    return r;
  }
  r.exists = true;

  std::string_view fragment;
  auto lines = split_lines(text, fragment);
  std::size_t complete = 0;  // lines parsed
  long rank = 0;             // key order: never back to an earlier master
  Digest prev{};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string where = "line " + std::to_string(i + 1);
    auto e = parse_line(lines[i]);
    if (!e) {
      problem(where + " is not a valid entry (" + e.error().message +
              "): the log was edited or damaged; later entries are not checked");
      break;
    }
    ++complete;
    std::string name = "entry " + std::to_string(e->seq);
    if (e->seq != i + 1) {
      problem(where + " holds entry " + std::to_string(e->seq) + " where entry " +
              std::to_string(i + 1) + " was expected: entries were removed, inserted or "
              "reordered");
    }
    if (e->prev != prev) {
      problem(name + " (" + where + ") does not follow the entry before it: an entry was "
              "removed, edited, inserted or reordered");
    }
    prev = chain_hash(lines[i]);
    const MacKey* k = keys.find(e->key);
    long kr = keys.rank(e->key);
    if (k == nullptr) {
      problem(name + " (" + where + ") names master key " + e->key +
              ", which this vault has never had: it was forged or copied from another vault");
    } else {
      if (kr < rank) {
        problem(name + " was written under master key " + e->key +
                " after that key had been replaced: entries were reordered or forged");
      }
      rank = std::max(rank, kr);
      if (!ct_equal(entry_mac(*k->key, vid_, line_body(lines[i])), e->mac)) {
        problem(name + " (" + where + ") does not verify under the key it names: it was "
                "edited, forged, or copied from another vault");
      } else if (k == &current) {
        ++r.mac_verified;
      } else {
        ++r.earlier_keys;
      }
    }
    r.entries.push_back(std::move(*e));
  }

  if (!head_text) {
    problem("the head file " + head_ + " is missing: removed entries at the end of the log "
            "cannot be ruled out");
  } else {
    auto head = parse_head_text(*head_text);
    if (!head || head->vault_id != vid_) {
      problem("the head file " + head_ + " is damaged or belongs to another vault");
    } else {
      r.head_seq = head->seq;
      auto body = encode_head_body(*head);
      const MacKey* k = keys.find(head->key);
      if (k == nullptr) {
        problem("the head file " + head_ + " was written under master key " + head->key +
                ", which this vault has never had: it was replaced");
      } else if (!body || !ct_equal(head_mac(*k->key, vid_, *body), head->mac)) {
        problem("the head file " + head_ + " does not verify under the key it names: it was "
                "edited or replaced");
      } else if (complete == lines.size()) {
        if (head->seq > complete) {
          problem("the log ends at entry " + std::to_string(complete) +
                  " but its head records entry " + std::to_string(head->seq) +
                  ": the last entries were removed");
        } else {
          Digest at = head->seq == 0 ? Digest{} : chain_hash(lines[head->seq - 1]);
          if (at != head->hash) {
            problem("entry " + std::to_string(head->seq) +
                    " is not the entry the head records: the log was rewritten");
          }
          if (head->seq < complete) {
            r.notes.push_back("entries " + std::to_string(head->seq + 1) + ".." +
                              std::to_string(complete) +
                              " were written after the head was last updated (an interrupted "
                              "append); each verified on its own");
          }
          if (keys.rank(head->key) < rank && head->seq == complete) {
            problem("the head file " + head_ + " was written under an earlier master key than "
                    "the log's last entry");
          }
        }
      }
    }
  }
  if (anchor && anchor->seq > 0 && complete == lines.size()) {
    if (anchor->seq > complete) {
      problem("the log ends at entry " + std::to_string(complete) + " but the vault records " +
              "that this machine's log held entry " + std::to_string(anchor->seq) +
              " at its last change: the last entries were removed (or the log was replaced)");
    } else if (chain_hash(lines[anchor->seq - 1]) != anchor->hash) {
      problem("entry " + std::to_string(anchor->seq) + " is not the entry the vault recorded " +
              "at its last change: the log was replaced or rewritten");
    }
  }
  if (!fragment.empty()) {
    r.notes.push_back("the log ends with an incomplete line (an interrupted append); it is "
                      "ignored and dropped by the next append");
  }
  return r;
}

const MacKey* KeyRing::find(std::string_view tag) const {
  if (current.key != nullptr && current.id == tag) return &current;
  for (const auto& k : earlier) {
    if (k.key != nullptr && k.id == tag) return &k;
  }
  return nullptr;
}

long KeyRing::rank(std::string_view tag) const {
  if (current.id == tag) return static_cast<long>(earlier.size());
  for (std::size_t i = earlier.size(); i-- > 0;) {
    if (earlier[i].id == tag) return static_cast<long>(i);
  }
  return -1;
}

MachineTag machine_tag(const std::string& dir) {
  std::string id;
  for (const char* p : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
    auto t = read_small(p);
    if (t && *t && !(*t)->empty()) {
      id = **t;
      break;
    }
  }
  if (id.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) id = std::string("host:") + host;
  }
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  // The directory as configured (not resolved: it may not exist yet at the first write, and the
  // tag must not change once it does).
  std::string canon = dir;
  while (canon.size() > 1 && canon.back() == '/') canon.pop_back();
  Bytes msg = to_bytes("keyward/audit/v1/machine");
  auto put = [&](std::string_view s) {
    auto len = static_cast<std::uint32_t>(s.size());
    for (int sh = 24; sh >= 0; sh -= 8) msg.push_back(static_cast<std::uint8_t>(len >> sh));
    append(msg, as_bytes(s));
  };
  put(id);
  put(std::to_string(::getuid()));
  put(canon);
  auto d = hash::sha256(msg);
  MachineTag tag{};
  std::copy(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(tag.size()), tag.begin());
  return tag;
}

}  // namespace keyward::audit
