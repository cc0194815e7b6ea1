// `keyward sealed-env exec -- CMD ARGS...`: run CMD with the decrypted entries added to its
// environment; exits with CMD's exit code (128+N when killed by signal N).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "cli/sealed_env/common.h"
#include "core/vault/policy.h"

namespace keyward::cli::sealed_env {

void add_exec(CLI::App& parent, Context& ctx) {
  struct Opts {
    std::string file = kDefaultFile;
    std::vector<std::string> cmd;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = parent.add_subcommand("exec", "Run a command with the decrypted variables in its environment");
  sub->add_option("--file", o->file, "Sealed file")->capture_default_str();
  sub->add_option("command", o->cmd, "Command and arguments (after --)")->required();
  sub->callback([o, &ctx] {
    run(ctx, [&]() -> Status {
      KW_TRY(Decrypted d, decrypt_file(o->file));
      pid_t pid = ::fork();
      if (pid < 0) return fail(Errc::io, std::string("fork: ") + std::strerror(errno));
      if (pid == 0) {
        // The child gets the values; the credentials (SEALED_ENV_*, KEYWARD_PASSPHRASE, PINs,
        // recovery code: core policy) are not passed on.
        vault::policy::scrub_credential_environment();
        for (const auto& e : d.entries) ::setenv(e.key.c_str(), std::string(e.value.reveal_string()).c_str(), 1);
        std::vector<char*> argv;
        for (auto& a : o->cmd) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        std::fprintf(stderr, "keyward: cannot run %s: %s\n", argv[0], std::strerror(errno));
        ::_exit(127);
      }
      d.plaintext.clear();
      d.entries.clear();
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      ctx.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return ok();
    });
  });
}

}  // namespace keyward::cli::sealed_env
