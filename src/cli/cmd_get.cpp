// `keyward get COORD`: print one secret's value on stdout (a newline is added only on a
// terminal, so `$(keyward get ...)` and pipes get the exact bytes). A high record is released
// through the presence gate (core/access): the touch authorises exactly this coordinate.
#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/vault_open.h"

namespace keyward::cli {
namespace {

struct GetOptions {
  std::string coordinate;
  UnlockOptions unlock;
};

// Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool valid_utf8(ByteView v) {
  std::size_t i = 0;
  while (i < v.size()) {
    const std::uint8_t c = v[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (v.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((v[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (v[i + k] & 0x3fu);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// --json: {"coordinate": ..., "tier": ..., "kind": ..., "encoding": "utf-8"|"base64",
// "value": ...} on one line (docs/json.md). The value goes from locked memory to stdout without
// an unlocked copy: escaped character by character when it is UTF-8 text, else base64 encoded
// into locked memory.
Status print_json(const vault::Record& rec) {
  const bool text = valid_utf8(rec.value.view());
  nlohmann::json head = {{"coordinate", rec.meta.coordinate},
                         {"tier", std::string(vault::tier_name(rec.meta.tier))},
                         {"kind", std::string(vault::kind_name(rec.meta.kind))},
                         {"encoding", text ? "utf-8" : "base64"}};
  std::string h = head.dump();
  h.pop_back();  // the closing brace: the value follows
  std::fputs(h.c_str(), stdout);
  std::fputs(",\"value\":\"", stdout);
  if (text) {
    for (std::uint8_t c : rec.value.view()) {
      if (c == '"' || c == '\\') {
        std::fputc('\\', stdout);
        std::fputc(c, stdout);
      } else if (c < 0x20 || c == 0x7f) {
        std::fprintf(stdout, "\\u%04x", static_cast<unsigned>(c));
      } else {
        std::fputc(c, stdout);
      }
    }
  } else {
    const std::size_t n = sodium_base64_encoded_len(rec.value.size(), sodium_base64_VARIANT_ORIGINAL);
    SecretBytes b64(n);
    sodium_bin2base64(reinterpret_cast<char*>(b64.data()), n, rec.value.data(), rec.value.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    std::fwrite(b64.data(), 1, n - 1, stdout);  // without the terminating NUL
  }
  std::fputs("\"}\n", stdout);
  if (std::fflush(stdout) != 0) return fail(Errc::io, "cannot write to stdout");
  return ok();
}

Status print_value(ByteView value) {
  std::fwrite(value.data(), 1, value.size(), stdout);
  if (::isatty(1)) std::fputc('\n', stdout);
  if (std::fflush(stdout) != 0) return fail(Errc::io, "cannot write to stdout");
  return ok();
}

Status run_get(const Context& ctx, const GetOptions& o) {
  KW_TRY(auto coord, vault::parse_coordinate(o.coordinate));
  // Core refuses the reserved environment; refused here too so that no credential is asked.
  KW_TRY_STATUS(refuse_reserved_env(coord.env));
  KW_TRY(auto vault, open_access(ctx, o.unlock));
  KW_TRY(auto rec, vault->get(coord.str()));
  if (ctx.json) return print_json(rec);
  return print_value(rec.value);
}

void add_get_command(CLI::App& app, Context& ctx) {
  static GetOptions o;
  auto* cmd = app.add_subcommand("get", "Print one secret's value");
  cmd->add_option("coordinate", o.coordinate, "env/component/KEY")->required();
  cmd->add_flag("--json", ctx.json, "One JSON object: coordinate, tier, kind, value");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_get(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(30, add_get_command, "get");

}  // namespace keyward::cli
