// `keyward sealed-env doctor`: a posture check of the current directory (threat model, "Defense
// posture"): the sealed file (with the precise parse error the decrypt path hides), the config,
// which credentials are set, the replay backend, plain-hex keys in .env.local, IDE backdoor
// markers. Never prints a secret. Exit 0 when nothing needs attention, 9 (policy) otherwise.
#include <cstdio>
#include <cstdlib>

#include "cli/sealed_env/common.h"
#include "core/sealedenv/credential_token.h"
#include "core/sealedenv/keys.h"
#include "core/sealedenv/replay_cache.h"
#include "net/redis_replay_cache.h"

namespace keyward::cli::sealed_env {

void add_doctor(CLI::App& parent, Context& ctx) {
  auto file = std::make_shared<std::string>(kDefaultFile);
  auto* sub = parent.add_subcommand("doctor", "Check the sealed file, config, credentials and host markers");
  sub->add_option("--file", *file, "Sealed file")->capture_default_str();
  sub->callback([file, &ctx] {
    int problems = 0;
    auto line = [&](bool good, const std::string& what) {
      std::printf("%s %s\n", good ? "ok  " : "WARN", what.c_str());
      if (!good) ++problems;
    };
    std::optional<sealedenv::SealedFile> f;
    if (auto text = read_text(*file); !text) {
      line(false, text.error().message);
    } else if (auto parsed = sealedenv::parse_file(*text); !parsed) {
      line(false, *file + ": " + parsed.error().message);
    } else {
      f = *parsed;
      line(true, *file + ": SEALED-ENV-V1, mode " + std::string(sealedenv::mode_name(f->mode)) +
                     ", KDF " + (f->kdf.kind == sealedenv::KdfKind::argon2id ? "argon2id " : "scrypt ") +
                     sealedenv::kdf_params_text(f->kdf));
      if (!sealedenv::check_write_minimums(f->kdf))
        line(false, "KDF parameters are below the writing minimums (readers still honour them); rotate to raise them");
    }
    std::optional<sealedenv::Config> cfg;
    if (f) {
      auto c = load_config(*file, f->mode);
      if (!c) line(false, c.error().message);
      else if (!*c) line(false, "no .sealed-env.config.json next to the file (defaults apply; `init` writes one)");
      else {
        cfg = **c;
        line(true, ".sealed-env.config.json is valid");
        if (cfg->deploy_mode == sealedenv::DeployMode::ephemeral && !cfg->nonce_state_backend)
          line(false, "deploy-replay-disabled: ephemeral deploys without nonce_state_backend rely on TTL alone");
        if (cfg->nonce_state_backend) {
          auto cache = net::open_replay_cache(*cfg->nonce_state_backend);
          line(cache.has_value(), cache ? "replay cache reachable" : cache.error().message);
        }
      }
    }
    auto env = process_env();
    bool legacy = false;
    for (const char* v : {"SEALED_ENV_KEY", "SEALED_ENV_SIGNING_KEY", "SEALED_ENV_TOTP_SECRET", "SEALED_ENV_UNSEAL_TOKEN"})
      if (env(v)) legacy = true;
    if (auto t = env("SEALED_ENV_TOKEN")) {
      auto parsed = sealedenv::parse_token(*t);
      line(parsed.has_value(), parsed ? "SEALED_ENV_TOKEN parses (mode " + std::string(1, parsed->mode) + ")"
                                      : "SEALED_ENV_TOKEN: " + parsed.error().message);
    } else {
      line(!legacy, legacy ? "legacy-credential-format: legacy variables set; migrate with `keyward sealed-env token mint`"
                           : "no credentials in the environment");
    }
    if (auto local = read_text(".env.local")) {
      bool hex_key = local->find("SEALED_ENV_KEY=") != std::string::npos ||
                     local->find("SEALED_ENV_SIGNING_KEY=") != std::string::npos ||
                     local->find("SEALED_ENV_TOTP_SECRET=") != std::string::npos;
      line(!hex_key, hex_key ? ".env.local holds plain sealed-env keys: keep them in a password manager or keyward"
                             : ".env.local holds no sealed-env keys");
    }
    if (auto tasks = read_text(".vscode/tasks.json"); tasks && tasks->find("folderOpen") != std::string::npos)
      line(false, ".vscode/tasks.json runs a task on folderOpen (a known worm persistence marker)");
    if (auto cl = read_text(".claude/settings.json"); cl && cl->find("SessionStart") != std::string::npos)
      line(false, ".claude/settings.json has a SessionStart hook (a known worm persistence marker)");
    if (std::getenv("GITHUB_ACTIONS") && (env("SEALED_ENV_UNSEAL_TOKEN") || env("SEALED_ENV_DEPLOY_TOKEN")))
      line(true, "GitHub Actions with a short-lived token: prefer --ttl 30 for production deploys");
    if (problems) ctx.exit_code = exit_code(Errc::policy);
  });
}

}  // namespace keyward::cli::sealed_env
