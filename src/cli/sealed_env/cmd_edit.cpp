// `keyward sealed-env edit`: the decrypted document in $VISUAL / $EDITOR, never on disk.
//
// The plaintext goes into a fresh 0700 directory on a tmpfs ($XDG_RUNTIME_DIR when it is one,
// else /dev/shm; keyward refuses rather than fall back to a disk), as a 0600 file created with
// O_EXCL | O_NOFOLLOW. The editor's own side files (swap, backup) land in that directory too.
// Afterwards every regular file in it is overwritten with zeros and removed, then the directory;
// this happens on every path out, and SIGINT/SIGQUIT/SIGHUP/SIGTERM are ignored by keyward
// while the editor runs (the editor gets them) so that the clean-up runs.
// Unchanged content writes nothing. Content that is not a valid SEALED-ENV-V1 dotenv document
// reopens the editor (on a terminal, if the user says so) or aborts with nothing written.
// A change is re-sealed in place (reseal_in_place), verbatim (comments are kept).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cli/prompt.h"
#include "cli/sealed_env/common.h"
#include "core/xdg.h"

namespace keyward::cli::sealed_env {
namespace {

constexpr long kTmpfsMagic = 0x01021994;
constexpr long kRamfsMagic = 0x858458f6;

bool on_tmpfs(const std::string& dir) {
  struct statfs sf{};
  if (::statfs(dir.c_str(), &sf) != 0) return false;
  return static_cast<long>(sf.f_type) == kTmpfsMagic || static_cast<long>(sf.f_type) == kRamfsMagic;
}

// Overwrites every regular file in `dir` with zeros, removes it, then removes `dir`.
void wipe_dir(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    for (const auto& n : names) {
      std::string p = dir + "/" + n;
      struct stat st{};
      if (::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        int fd = ::open(p.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
          std::vector<char> zeros(4096, 0);
          for (off_t left = st.st_size; left > 0;) {
            ssize_t w = ::write(fd, zeros.data(),
                                static_cast<std::size_t>(std::min<off_t>(left, 4096)));
            if (w <= 0) break;
            left -= w;
          }
          ::fsync(fd);
          ::close(fd);
        }
      }
      if (S_ISDIR(st.st_mode)) wipe_dir(p);
      else ::unlink(p.c_str());
    }
  }
  ::rmdir(dir.c_str());
}

struct PrivateDir {
  std::string path;
  ~PrivateDir() {
    if (!path.empty()) wipe_dir(path);
  }
};

Status make_private_dir(PrivateDir& out) {
  std::vector<std::string> bases;
  if (auto rt = xdg_runtime_dir()) bases.push_back(*rt);
  bases.emplace_back("/dev/shm");
  for (const auto& b : bases) {
    if (!on_tmpfs(b)) continue;
    std::string tmpl = b + "/keyward-edit-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) continue;  // mode 0700
    out.path = buf.data();
    return ok();
  }
  return fail(Errc::unavailable,
              "no tmpfs for the decrypted file (tried $XDG_RUNTIME_DIR and /dev/shm); keyward "
              "never writes the plaintext to a disk: use `keyward sealed-env set`");
}

Status write_private(const std::string& path, ByteView data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::io, "cannot create the edit file: " + std::string(std::strerror(errno)));
  ::fchmod(fd, 0600);
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ::close(fd);
      return fail(Errc::io, "cannot write the edit file");
    }
    off += static_cast<std::size_t>(w);
  }
  ::close(fd);
  return ok();
}

Result<SecretBytes> read_private(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return fail(Errc::io, "the edited file is gone (" + std::string(std::strerror(errno)) +
                              "); nothing written");
  auto r = read_fd_secret(fd, 16u << 20);
  ::close(fd);
  return r;
}

// Runs the editor on `file`; its exit status (or -1 when it could not run).
int run_editor(const std::string& file) {
  const char* ed = std::getenv("VISUAL");
  if (!ed || !*ed) ed = std::getenv("EDITOR");
  if (!ed || !*ed) ed = "vi";
  struct sigaction ign{}, old_int{}, old_quit{}, old_hup{}, old_term{};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ign, &old_int);
  ::sigaction(SIGQUIT, &ign, &old_quit);
  ::sigaction(SIGHUP, &ign, &old_hup);
  ::sigaction(SIGTERM, &ign, &old_term);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGQUIT, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    // $EDITOR may carry arguments ("code --wait"): let the shell split it, pass the path as $1.
    std::string script = std::string(ed) + " \"$1\"";
    ::execl("/bin/sh", "sh", "-c", script.c_str(), "keyward-edit", file.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = -1;
  if (pid > 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  ::sigaction(SIGHUP, &old_hup, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  if (pid < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

void add_edit(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand(
      "edit",
      "Edit the decrypted .env.sealed in $VISUAL/$EDITOR on a private tmpfs file, then re-seal "
      "it (nothing is written if unchanged)");
  sub->add_option("--file", o->file, "The .env.sealed file")->capture_default_str();
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      KW_TRY(Decrypted d, decrypt_file(o->file));
      // Refuse early (before the plaintext leaves memory) when the credentials cannot write.
      if (!d.creds.tier_a || !d.creds.master)
        return fail(Errc::auth_failed,
                    "editing .env.sealed needs its Tier A token (SEALED_ENV_TOKEN of mode b, t "
                    "or e), not a deploy or unseal token");
      PrivateDir dir;
      KW_TRY_STATUS(make_private_dir(dir));
      const std::string path = dir.path + "/edit.env";
      SecretBytes content = d.plaintext.clone();
      while (true) {
        KW_TRY_STATUS(write_private(path, content));
        int rc = run_editor(path);
        if (rc != 0)
          return fail(Errc::cancelled, "the editor exited with status " + std::to_string(rc) +
                                           "; " + o->file + " is unchanged");
        KW_TRY(SecretBytes edited, read_private(path));
        if (edited.equals(d.plaintext)) {
          info(ctx, "no changes; " + o->file + " is unchanged");
          return ok();
        }
        auto parsed = dotenv_parse(edited, DotenvOptions::sealed_env_v1());
        if (parsed) {
          KW_TRY_STATUS(reseal_in_place(o->file, d, edited));
          info(ctx, "re-sealed " + o->file + " (" + std::to_string(parsed->size()) + " variables)");
          return ok();
        }
        std::fprintf(stderr, "keyward: %s\n", parsed.error().message.c_str());
        if (!have_tty() || !prompt_yes_no("The document does not parse. Reopen the editor?"))
          return fail(Errc::malformed, "the edited document does not parse; " + o->file +
                                           " is unchanged");
        content = std::move(edited);
      }
    });
  });
}

}  // namespace keyward::cli::sealed_env
