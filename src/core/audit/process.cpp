// describe_process: who is asking, read from /proc (Linux).
#include <unistd.h>

#include <climits>
#include <fstream>
#include <iterator>

#include "core/audit/entry.h"

namespace keyward::audit {
namespace {

std::string slurp(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string out;
  char buf[4096];
  while (out.size() < limit && in.read(buf, sizeof buf).gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

Requester describe_process(pid_t pid) {
  Requester r;
  r.pid = static_cast<std::uint64_t>(pid);
  std::string base = "/proc/" + std::to_string(pid);
  std::string cmdline = slurp(base + "/cmdline", kMaxArgs * 64);
  std::size_t start = 0;
  // The arguments of a child command (`keyward run -- CMD ARGS`) are the user's, not keyward's,
  // and could hold anything: keep the program name after `--` and only count the rest.
  std::size_t dashdash = 0, dropped = 0;
  while (start < cmdline.size()) {
    auto end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    std::string arg = cmdline.substr(start, end - start);
    start = end + 1;
    if (dashdash != 0 && r.argv.size() > dashdash) {
      ++dropped;
      continue;
    }
    if (r.argv.size() >= kMaxArgs - 1) {
      ++dropped;
      continue;
    }
    if (arg.empty()) arg = "''";
    if (arg.size() > kMaxArg) arg.resize(kMaxArg);
    if (arg == "--" && dashdash == 0) dashdash = r.argv.size() + 1;
    r.argv.push_back(std::move(arg));
  }
  if (dropped > 0) r.argv.push_back("[" + std::to_string(dropped) + " more arguments not recorded]");
  // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces and parentheses.
  std::string stat = slurp(base + "/stat", 4096);
  auto close = stat.rfind(')');
  if (close != std::string::npos && close + 4 < stat.size()) {
    std::size_t at = close + 4;  // skip ") S "
    std::uint64_t ppid = 0;
    while (at < stat.size() && stat[at] >= '0' && stat[at] <= '9') {
      ppid = ppid * 10 + static_cast<std::uint64_t>(stat[at] - '0');
      ++at;
    }
    r.ppid = ppid;
    if (ppid > 0) r.parent = trim_newline(slurp("/proc/" + std::to_string(ppid) + "/comm", 256));
  }
  for (int fd = 0; fd <= 2; ++fd) {
    char buf[PATH_MAX];
    std::string link = base + "/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n <= 0) continue;
    std::string target(buf, static_cast<std::size_t>(n));
    if (target.rfind("/dev/pts/", 0) == 0 || target.rfind("/dev/tty", 0) == 0 ||
        target.rfind("/dev/console", 0) == 0) {
      r.tty = target.substr(0, 256);
      break;
    }
  }
  return r;
}

}  // namespace keyward::audit
