#include "agent/server.h"

#include "core/access/serve.h"
#include "core/audit/entry.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "agent/socket.h"

namespace keyward::agent {
namespace {

volatile sig_atomic_t g_stop_signal = 0;
void on_stop_signal(int) { g_stop_signal = 1; }

void log(const std::string& line) { std::fprintf(stderr, "keyward-agent: %s\n", line.c_str()); }

// How long a process has to report the gate outcome for high rows it was served sealed (the
// gate waits for a touch, perhaps a PIN), and how many such reports a vault keeps waiting.
constexpr std::uint64_t kPendingGateMs = 10 * 60 * 1000;
constexpr std::size_t kMaxPendingGates = 64;

// A vault error after which the agent's copy must go: the vault was re-keyed, swapped,
// replaced, rolled back or tampered with (core marks its view stale, or says so by the error
// class). A busy vault (another writer holds the lock) is not one: the answer is "locked, try
// again" and the vault stays unlocked.
bool drops_vault(const vault::Vault& v, Errc c) {
  return v.stale() || c == Errc::decrypt_failed || c == Errc::integrity;
}

// Refuses a request whose client has given up (its deadline has passed): nothing is applied.
Status check_deadline(const Request& req) {
  if (req.deadline_ms != 0 && now_ms() >= req.deadline_ms) {
    return fail(Errc::unavailable, "the request reached the agent after its deadline; nothing "
                                   "was applied");
  }
  return ok();
}

void add_records(Response& resp, std::vector<vault::Record>& records) {
  std::size_t total = 0;
  for (const auto& r : records) total += r.value.size();
  resp.secret = SecretBytes(total);
  std::size_t off = 0;
  for (auto& r : records) {
    if (!r.value.empty()) std::memcpy(resp.secret.data() + off, r.value.data(), r.value.size());
    resp.records.push_back(RecordWire{std::move(r.meta), off, r.value.size()});
    off += r.value.size();
  }
  records.clear();
}

// systemd socket activation (sd_listen_fds(3)): LISTEN_PID must be us, LISTEN_FDS must be 1
// (fd 3), and it must be a listening Unix stream socket.
Result<int> systemd_socket() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr) return -1;
  bool ours = std::strtoul(pid, nullptr, 10) == static_cast<unsigned long>(::getpid());
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!ours) return -1;
  if (std::strcmp(fds, "1") != 0) {
    return fail(Errc::invalid_argument, "systemd passed more than one socket; keyward-agent.socket "
                                        "should have one ListenStream");
  }
  int fd = 3, type = 0, listening = 0, domain = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
    return fail(Errc::invalid_argument, "the socket systemd passed is not a stream socket");
  }
  len = sizeof listening;
  ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
  len = sizeof domain;
  ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
  if (!listening || domain != AF_UNIX) {
    return fail(Errc::invalid_argument, "the socket systemd passed is not a listening Unix socket");
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

Result<Fd> bind_socket(const std::string& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(Errc::io, std::string("socket: ") + std::strerror(errno));
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // A socket file left by a dead agent is removed; a live one means an agent already runs.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail(Errc::already_exists, path + " exists and is not a socket");
    Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(probe.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0) {
      return fail(Errc::already_exists, "an agent is already running on " + path);
    }
    ::unlink(path.c_str());
  }
  mode_t old = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0) return fail(Errc::io, "cannot listen on " + path + ": " + std::strerror(errno));
  if (::listen(fd.get(), 64) != 0) return fail(Errc::io, std::string("listen: ") + std::strerror(errno));
  return fd;
}

// The items of a set or unpack request, their values cut from the secret part (then cleared).
std::vector<vault::SetItem> request_items(Request& req) {
  std::vector<vault::SetItem> items;
  std::size_t off = 0;
  for (const auto& i : req.items) {
    vault::SetItem s;
    s.coordinate = i.coordinate;
    s.tier = i.tier;
    s.kind = i.kind;
    s.default_tier = i.default_tier;
    s.value = SecretBytes::copy_of(req.secret.view().subspan(off, i.len));
    off += i.len;
    items.push_back(std::move(s));
  }
  req.secret.clear();
  return items;
}

}  // namespace

Result<std::uint64_t> parse_duration(std::string_view t) {
  if (t.empty() || t.size() > 12) return fail(Errc::invalid_argument, "a duration looks like 30s, 15m, 8h or 1d");
  std::uint64_t mult = 1;
  char last = t.back();
  if (last == 's' || last == 'm' || last == 'h' || last == 'd') {
    mult = last == 's' ? 1 : last == 'm' ? 60 : last == 'h' ? 3600 : 86400;
    t.remove_suffix(1);
  }
  if (t.empty()) return fail(Errc::invalid_argument, "a duration looks like 30s, 15m, 8h or 1d");
  std::uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return fail(Errc::invalid_argument, "a duration looks like 30s, 15m, 8h or 1d");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  v *= mult;
  if (v < 1 || v > 30 * 86400) return fail(Errc::invalid_argument, "a duration is between 1s and 30d");
  return v;
}

std::uint64_t now_ms() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
}

void Agent::expire(std::uint64_t now) {
  for (auto it = vaults_.begin(); it != vaults_.end();) {
    const Entry& e = it->second;
    if (now >= e.last_used + opts_.idle_ttl_s * 1000 || now >= e.added + opts_.max_ttl_s * 1000) {
      it = vaults_.erase(it);  // ~Vault wipes the master key (SecretBytes)
    } else {
      ++it;
    }
  }
}

std::uint64_t Agent::next_expiry() const {
  std::uint64_t next = 0;
  for (const auto& [path, e] : vaults_) {
    std::uint64_t t = std::min(e.last_used + opts_.idle_ttl_s * 1000, e.added + opts_.max_ttl_s * 1000);
    if (next == 0 || t < next) next = t;
  }
  return next;
}

Response Agent::status(std::uint64_t now) const {
  Response r;
  r.pid = static_cast<std::uint64_t>(::getpid());
  r.idle_ttl_s = opts_.idle_ttl_s;
  r.max_ttl_s = opts_.max_ttl_s;
  for (const auto& [path, e] : vaults_) {
    VaultStatus s;
    s.path = path;
    s.id = e.vault.header().vault_id;
    std::uint64_t idle_end = e.last_used + opts_.idle_ttl_s * 1000, max_end = e.added + opts_.max_ttl_s * 1000;
    s.idle_left_s = idle_end > now ? (idle_end - now + 999) / 1000 : 0;
    s.max_left_s = max_end > now ? (max_end - now + 999) / 1000 : 0;
    r.vaults.push_back(std::move(s));
  }
  return r;
}

Response Agent::vault_op(Request& req, Entry& e, std::uint64_t now) {
  vault::Vault& v = e.vault;
  // The agent is a transport for core's Access operations (core/access/serve.h): the same
  // functions the direct path calls check the rules and write the audit entries, naming the
  // client process as the requester. The entries reach the log file before the answer and are
  // made durable (fdatasync, head) right after it is sent (settle()). High records go out
  // sealed: the client runs the gate and reports its outcome (op presence), recorded here.
  const access::Caller who{static_cast<int>(peer_), true, false};
  // High rows served sealed: this process may now report its gate outcome for exactly them.
  auto expect_gate = [&](Op op, const std::vector<vault::SealedHigh>& sealed) {
    if (sealed.empty() || peer_ <= 0) return;
    PendingGate p;
    p.pid = peer_;
    p.op = op;
    for (const auto& s : sealed) p.coordinates.push_back(s.meta.coordinate);
    std::sort(p.coordinates.begin(), p.coordinates.end());
    p.coordinates.erase(std::unique(p.coordinates.begin(), p.coordinates.end()), p.coordinates.end());
    p.until = now + kPendingGateMs;
    std::erase_if(e.pending, [&](const PendingGate& q) { return q.until <= now; });
    if (e.pending.size() >= kMaxPendingGates) e.pending.erase(e.pending.begin());
    e.pending.push_back(std::move(p));
  };
  auto answer = [&](Op op, access::Served& s) {
    Response resp;
    add_records(resp, s.records);
    resp.withheld = std::move(s.withheld);
    expect_gate(op, s.sealed);
    if (!s.sealed.empty()) {
      HighWire hw;
      hw.header = vault::encode_header_base(v.header());  // what the gate needs
      for (const auto& sl : v.slots()) hw.slots.push_back(vault::SlotRow{sl.number, vault::encode_slot(sl)});
      hw.rows = std::move(s.sealed);
      resp.high = std::move(hw);
    }
    return resp;
  };
  // The agent holds no high key and runs no gate: a change that needs a grant is refused
  // (nothing applied) and the client passes the gate on its own unlock.
  auto needs_gate = [](const std::vector<std::string>& need) {
    Response resp = error_response(access::needs_gate_error(need));
    resp.needs_grant = true;
    return resp;
  };
  switch (req.op) {
    case Op::get: {
      auto s = access::serve_get(v, req.coordinate, who);
      if (!s) return error_response(s.error());
      return answer(Op::get, *s);
    }
    case Op::env: {
      access::EnvQuery q{req.env, req.components,
                         req.packaging   ? vault::ReadPurpose::packaging
                         : req.exporting ? vault::ReadPurpose::exporting
                                         : vault::ReadPurpose::run,
                         req.allow_vars, req.allow_empty};
      auto s = access::serve_env(v, q, who);
      if (!s) return error_response(s.error());
      return answer(Op::env, *s);
    }
    case Op::presence: {
      // The gate outcome of a client for rows served to it above. Append only: core builds the
      // entry; the client chooses none of the requester fields.
      const GateReport& g = *req.gate;
      const Op served = g.purpose == "get" ? Op::get : Op::env;
      auto it = std::find_if(e.pending.begin(), e.pending.end(), [&](const PendingGate& p) {
        return p.pid == peer_ && p.op == served && p.until > now && p.coordinates == g.coordinates;
      });
      if (peer_ <= 0 || it == e.pending.end()) {
        return error_response(Error{Errc::policy, "the agent records a presence gate outcome only "
                                                  "for the high records it has just served, "
                                                  "sealed, to the same process"});
      }
      access::GateOutcome o;
      o.purpose = g.purpose;
      o.coordinates = g.coordinates;
      o.passed = g.passed;
      o.slot = g.slot;
      o.device = g.device;
      o.error = Error{g.code, g.message};
      // A report that cannot be recorded at all (a pass by a slot that cannot gate) consumes
      // nothing; any other is one report per serving.
      if (auto c = access::check_gate(v, o, who); !c) return error_response(c.error());
      e.pending.erase(it);
      if (auto a = access::record_gate(v, o, who); !a) return error_response(a.error());
      return Response{};
    }
    case Op::pubkey: {
      // Made on first use (a write to the reserved environment, as on the direct path); only
      // the public half is answered.
      if (auto d = check_deadline(req); !d) return error_response(d.error());
      auto k = package::own_public_key(v, req.signer);
      if (!k) return error_response(k.error());
      Response resp;
      resp.own_key = std::move(*k);
      return resp;
    }
    case Op::sign: {
      // A package body signed with the sender key (made on first use, as on the direct path).
      // Core builds the signed message (the package format's context string, then the body), so
      // nothing but a package body can be signed here.
      if (auto d = check_deadline(req); !d) return error_response(d.error());
      auto sg = package::sign_package_body(v, req.secret.view());
      if (!sg) return error_response(sg.error());
      Response resp;
      resp.signature = *sg;
      return resp;
    }
    case Op::audit: {
      // The log verified with the audit key the agent holds; the read is recorded first (on a
      // log that verifies). The entries travel as the log's own lines.
      if (auto d = check_deadline(req); !d) return error_response(d.error());
      auto a = access::serve_audit(v, req.since, req.summary, who);
      if (!a) return error_response(a.error());
      AuditWire aw;
      aw.file = a->file;
      aw.exists = a->report.exists;
      aw.total = a->total;
      aw.head = a->report.head_seq;
      aw.anchor = a->report.anchor_seq;
      aw.mac_verified = a->report.mac_verified;
      aw.earlier_keys = a->report.earlier_keys;
      aw.problems = a->report.problems;
      aw.notes = a->report.notes;
      std::size_t bytes = 0;
      for (const auto& entry : a->report.entries) {
        auto line = audit::encode_line(entry);
        if (!line) return error_response(line.error());
        bytes += line->size();
        if (bytes > kMaxAuditAnswer) {
          return error_response(Error{Errc::unavailable,
                                      "the audit log is too large to read through the agent: "
                                      "narrow it with --since, or read it directly with "
                                      "--no-agent"});
        }
        aw.lines.push_back(std::move(*line));
      }
      Response resp;
      resp.audit = std::move(aw);
      return resp;
    }
    case Op::slots: {
      // The agent's verified view of the header and slots (what `slot list` shows).
      auto listed = access::serve_slots(v);
      if (!listed) return error_response(listed.error());
      const auto& l = *listed;
      SlotsWire sw;
      sw.header = vault::encode_header_base(l.header);
      for (const auto& sl : l.slots) sw.slots.push_back(vault::SlotRow{sl.number, vault::encode_slot(sl)});
      sw.unlocked = l.unlocked_slot;
      Response resp;
      resp.slot_list = std::move(sw);
      return resp;
    }
    case Op::list: {
      auto r = access::serve_list(v);
      if (!r) return error_response(r.error());
      Response resp;
      resp.metas = std::move(*r);
      return resp;
    }
    case Op::set: {
      std::vector<vault::SetItem> items = request_items(req);
      const std::string_view op = req.importing ? "import" : "set";
      auto need = access::needs_for_set(v, items, op, who);
      if (!need) return error_response(need.error());
      if (!need->empty()) return needs_gate(*need);
      if (auto d = check_deadline(req); !d) return error_response(d.error());
      if (auto r = access::apply_set(v, items, op, nullptr, who); !r) return error_response(r.error());
      return Response{};
    }
    case Op::unwrap: {
      // The file key of a package sealed to the vault's package identity; the identity stays.
      auto k = package::unwrap_with_vault_identity(v, req.stanzas);
      if (!k) return error_response(k.error());
      Response resp;
      if (*k) {
        resp.file_key = true;
        resp.secret = std::move(**k);
      }
      return resp;
    }
    case Op::seen: {
      auto s = access::newest_seen(v, *req.sender);
      if (!s) return error_response(s.error());
      Response resp;
      resp.seen = *s;
      return resp;
    }
    case Op::unpack: {
      // A package's entries, checked and written by core as on the direct path; what needs the
      // presence gate (high entries, replaced high records) is refused with `grant` (nothing
      // applied) and the client unlocks directly.
      access::UnpackImport in;
      in.items = request_items(req);
      in.package_id = req.package_id;
      in.signer = req.sender;
      in.trusted = req.trusted;
      in.created = req.created;
      in.allow_older = req.allow_older;
      auto need = access::needs_for_unpack(v, in, who);
      if (!need) return error_response(need.error());
      if (!need->empty()) return needs_gate(*need);
      if (auto d = check_deadline(req); !d) return error_response(d.error());
      if (auto r = access::apply_unpack(v, in, nullptr, who); !r) return error_response(r.error());
      return Response{};
    }
    case Op::rm: {
      auto need = access::needs_for_remove(v, req.coordinate, who);
      if (!need) return error_response(need.error());
      if (!need->empty()) return needs_gate(*need);
      if (auto d = check_deadline(req); !d) return error_response(d.error());
      if (auto r = access::apply_remove(v, req.coordinate, nullptr, who); !r) return error_response(r.error());
      return Response{};
    }
    default: return error_response(Error{Errc::internal, "not a vault operation"});
  }
}

Response Agent::handle(Request& req, std::uint64_t now) {
  expire(now);
  switch (req.op) {
    case Op::status: return status(now);
    case Op::stop:
      stop_ = true;
      vaults_.clear();
      return Response{};
    case Op::lock:
      // Entries not yet synced are made durable before the key goes (docs/format-audit.md §5).
      for (auto& [p, entry] : vaults_) {
        if (req.all || p == vault::absolute_vault_path(req.vault)) (void)entry.vault.settle_audit();
      }
      if (req.all) vaults_.clear();
      else vaults_.erase(vault::absolute_vault_path(req.vault));
      return Response{};
    case Op::add: {
      std::string path = vault::absolute_vault_path(req.vault);
      auto v = vault::Vault::open_with_master(path, std::move(req.secret), opts_.vault_options);
      if (!v) return error_response(v.error());
      // Which slot the client unlocked with: `slot list` marks it "(used now)", audit entries
      // name it. A number that is no slot of this vault is ignored (informational only).
      if (req.slot != 0) (void)v->note_unlocked_slot(static_cast<std::uint32_t>(req.slot));
      vaults_.erase(path);
      vaults_.emplace(path, Entry{std::move(*v), now, now, {}});
      return Response{};
    }
    default: break;
  }
  auto it = vaults_.find(vault::absolute_vault_path(req.vault));
  if (it == vaults_.end()) return locked_response();
  if (auto d = check_deadline(req); !d) return error_response(d.error());
  // The vault's lock wait ends with the request's deadline: a request whose client gave up is
  // never applied later (it fails "locked, try again" before the client stops waiting).
  vault::Vault& held = it->second.vault;
  if (req.deadline_ms != 0) {
    const std::uint64_t t = now_ms();
    std::uint64_t left = req.deadline_ms > t ? req.deadline_ms - t : 0;
    held.set_lock_wait(static_cast<int>(std::min<std::uint64_t>(left, static_cast<std::uint64_t>(vault::lock_timeout_ms()))));
  }
  Response resp = vault_op(req, it->second, now);
  held.set_lock_wait(-1);
  if (held.audit_unsettled() &&
      std::find(unsettled_.begin(), unsettled_.end(), held.path()) == unsettled_.end()) {
    unsettled_.push_back(held.path());
  }
  if (!resp.ok && drops_vault(it->second.vault, resp.code)) {
    (void)it->second.vault.settle_audit();  // the failure's entry, before the vault goes
    vaults_.erase(it);
    // Re-keyed meanwhile: the client unlocks directly.
    if (resp.code == Errc::unavailable) return locked_response();
    return resp;
  }
  // Every use that reached the vault slides the idle limit, failed lookups included.
  it->second.last_used = now;
  return resp;
}

void Agent::settle() {
  for (const auto& path : unsettled_) {
    auto it = vaults_.find(path);
    // A vault dropped meanwhile: its entries are in the file; the next append takes them in.
    if (it == vaults_.end()) continue;
    (void)it->second.vault.settle_audit();
  }
  unsettled_.clear();
}

Status serve(const AgentOptions& opts) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGXFSZ, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  sigset_t block, wait_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &wait_mask);
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGINT);
  sigdelset(&wait_mask, SIGHUP);

  KW_TRY(int sd, systemd_socket());
  Fd listener;
  std::string path;
  bool own_socket = sd < 0;
  if (own_socket) {
    KW_TRY(path, socket_path(true));
    KW_TRY(listener, bind_socket(path));
    log("listening on " + path + " (pid " + std::to_string(::getpid()) + ")");
  } else {
    listener = Fd(sd);
    log("listening on the socket passed by systemd (pid " + std::to_string(::getpid()) + ")");
  }
  struct stat own {};
  if (own_socket) ::stat(path.c_str(), &own);
  if (::chdir("/") != 0) { /* not fatal */ }

  Agent agent(opts);
  const unsigned me = ::geteuid();
  // Every connection lives in one poll set, non-blocking, from accept to the last byte of its
  // answer: a request is read piece by piece as its bytes arrive and the answer written as the
  // client takes it. Each connection has an absolute deadline (request in, answer out); one
  // that does not make it is closed without a word. So a slow, stalled or hostile client (one
  // byte every few seconds, or none, or not reading its answer) holds up nobody else.
  struct Conn {
    Fd fd;
    pid_t pid = 0;
    std::uint64_t deadline = 0;
    FrameReader reader;
    bool writing = false;
    Bytes out;           // frame header + CBOR
    SecretBytes secret;  // the answer's secret part
    std::size_t sent = 0;
  };
  std::vector<Conn> conns;
  constexpr std::uint64_t kRequestWaitMs = 5000;  // from accept to a complete request
  constexpr std::uint64_t kAnswerWaitMs = 5000;   // from the answer to its last byte taken
  constexpr std::size_t kMaxConns = 64;
  // Sends what the socket takes; true when the whole answer is out (or the peer is gone).
  auto flush = [](Conn& c) -> bool {
    for (;;) {
      const std::size_t total = c.out.size() + c.secret.size();
      if (c.sent >= total) return true;
      const std::uint8_t* p = c.sent < c.out.size() ? c.out.data() + c.sent
                                                    : c.secret.data() + (c.sent - c.out.size());
      std::size_t n = c.sent < c.out.size() ? c.out.size() - c.sent : total - c.sent;
      ssize_t w = ::send(c.fd.get(), p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        return true;  // broken: nothing more to do for it
      }
      c.sent += static_cast<std::size_t>(w);
    }
  };
  while (!agent.stop_requested() && g_stop_signal == 0) {
    std::uint64_t now = now_ms();
    agent.expire(now);
    conns.erase(std::remove_if(conns.begin(), conns.end(),
                               [&](const Conn& c) { return c.deadline <= now; }),
                conns.end());
    std::uint64_t next = agent.next_expiry();
    for (const auto& c : conns) next = next == 0 ? c.deadline : std::min(next, c.deadline);
    struct timespec ts {}, *timeout = nullptr;
    if (next != 0) {
      std::uint64_t wait = next > now ? next - now : 0;
      ts.tv_sec = static_cast<time_t>(wait / 1000);
      ts.tv_nsec = static_cast<long>((wait % 1000) * 1000000);
      timeout = &ts;
    }
    std::vector<struct pollfd> fds;
    fds.push_back({listener.get(), POLLIN, 0});
    for (const auto& c : conns) {
      fds.push_back({c.fd.get(), static_cast<short>(c.writing ? POLLOUT : POLLIN), 0});
    }
    int n = ::ppoll(fds.data(), fds.size(), timeout, &wait_mask);
    if (n <= 0) continue;  // timeout (expiry runs at the top), or a signal

    std::vector<bool> done(conns.size(), false);
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (fds[i + 1].revents == 0) continue;
      Conn& c = conns[i];
      if (c.writing) {
        done[i] = flush(c);
        continue;
      }
      auto complete = c.reader.read_some(c.fd.get());
      if (!complete) {
        done[i] = true;  // closed early, broken or malformed framing: dropped without a word
        continue;
      }
      if (!*complete) continue;
      Frame frame = c.reader.take();
      agent.set_peer(c.pid);
      Response resp;
      auto req = decode_request(frame.cbor, std::move(frame.secret));
      if (!req) {
        resp = error_response(req.error());
      } else {
        resp = agent.handle(*req, now_ms());
        resp.id = req->id;
      }
      c.out = encode_response(resp);
      if (c.out.size() > kMaxCborSize || resp.secret.size() > kMaxSecretSize) {
        resp = error_response(Error{Errc::invalid_argument, "the answer is too large"});
        c.out = encode_response(resp);
      }
      Bytes head = frame_header(c.out.size(), resp.secret.size());
      c.out.insert(c.out.begin(), head.begin(), head.end());
      c.secret = std::move(resp.secret);
      c.writing = true;
      c.deadline = now_ms() + kAnswerWaitMs;
      done[i] = flush(c);
      // The entries are in the log file (written before the answer); now make them durable.
      agent.settle();
    }
    for (std::size_t i = conns.size(); i-- > 0;) {
      if (done[i]) conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if ((fds[0].revents & POLLIN) != 0) {
      Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (conn) {
        auto uid = peer_uid(conn.get());
        if (!uid || *uid != me) {
          log("refused a connection from uid " + (uid ? std::to_string(*uid) : std::string("?")) +
              ": this agent serves uid " + std::to_string(me) + " only");
          conn = Fd();  // closed without a word
        } else {
          if (conns.size() >= kMaxConns) conns.erase(conns.begin());  // the oldest waiter
          Conn c;
          c.fd = std::move(conn);
          c.pid = peer_pid(c.fd.get());
          c.deadline = now_ms() + kRequestWaitMs;
          conns.push_back(std::move(c));
        }
      }
    }
  }
  agent.wipe_all();
  if (own_socket) {
    struct stat cur {};
    // Remove the socket only if it is still ours (a newer agent may have replaced it).
    if (::stat(path.c_str(), &cur) == 0 && cur.st_ino == own.st_ino && cur.st_dev == own.st_dev) {
      ::unlink(path.c_str());
    }
  }
  log(g_stop_signal != 0 ? "stopped by a signal; every vault wiped" : "stopped; every vault wiped");
  return ok();
}

}  // namespace keyward::agent
