#include "cli/cli.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace keyward::cli {
namespace {

std::vector<std::pair<int, Registrar>>& registry() {
  static std::vector<std::pair<int, Registrar>> r;
  return r;
}

}  // namespace

CommandRegistration::CommandRegistration(int order, Registrar registrar) {
  registry().emplace_back(order, registrar);
}

void register_all(CLI::App& app, Context& ctx) {
  auto commands = registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [order, registrar] : commands) registrar(app, ctx);
}

int report(const Error& error) {
  std::fprintf(stderr, "keyward: %s\n", error.message.c_str());
  return exit_code(error.code);
}

void info(const Context& ctx, std::string_view line) {
  if (ctx.quiet) return;
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

}  // namespace keyward::cli
