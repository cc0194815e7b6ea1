#include "cli/usage.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace keyward::cli {
namespace {

std::vector<CLI::App*> subcommands_of(CLI::App& app) {
  return app.get_subcommands([](CLI::App* s) { return !s->get_name().empty(); });
}

CLI::App* find_subcommand(CLI::App& app, std::string_view name) {
  for (CLI::App* s : subcommands_of(app)) {
    if (s->check_name(std::string(name))) return s;
  }
  return nullptr;
}

// The commands a user is shown and offered ("did you mean"): hidden ones (group "": the
// completion scripts' and the build's own entry points) are left out.
std::vector<std::string> subcommand_names(CLI::App& app) {
  std::vector<std::string> out;
  for (CLI::App* s : subcommands_of(app)) {
    if (!s->get_group().empty()) out.push_back(s->get_name());
  }
  return out;
}

// The option `name` (e.g. "--vault", "-q") as seen from `app`: its own, or one of the parents'
// (keyward's global options fall through to every command).
const CLI::Option* find_option(CLI::App& app, const std::string& name) {
  for (CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    if (const CLI::Option* o = a->get_option_no_throw(name)) return o;
  }
  return nullptr;
}

std::vector<std::string> option_names(CLI::App& app) {
  std::vector<std::string> out;
  for (CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& l : o->get_lnames()) out.push_back("--" + l);
    }
  }
  return out;
}

// "keyward slot add"
std::string path_of(const CLI::App& app) {
  std::string out;
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    out = out.empty() ? a->get_name() : a->get_name() + " " + out;
  }
  return out;
}

std::string list_of(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// What the command line names, read the way the parser reads it.
struct Walk {
  CLI::App* command = nullptr;          // the deepest command named
  std::string unknown_command;          // a word where a command of `command` was expected
  std::string unknown_option;           // the first option no command on the path knows
  std::vector<std::string> positionals; // the words given to `command` itself
  bool dashdash = false;
  bool command_without_dashdash = false;  // run/exec: a command's words came before any `--`
};

// Commands whose positionals are a command line of their own (after `--`).
bool runs_a_command(const CLI::App& app) { return app.get_name() == "run" || app.get_name() == "exec"; }

Walk walk(CLI::App& app, int argc, char** argv) {
  Walk w;
  w.command = &app;
  for (int i = 1; i < argc; ++i) {
    std::string t = argv[i];
    if (t == "--") {
      w.dashdash = true;
      break;
    }
    if (runs_a_command(*w.command) && !w.positionals.empty()) {
      w.command_without_dashdash = true;  // `run --env dev sh -c ...`: the rest is the command's
      break;
    }
    if (t.size() > 1 && t[0] == '-') {
      std::string name = t.substr(0, t.find('='));
      const CLI::Option* o = find_option(*w.command, name);
      if (o == nullptr) {
        if (w.unknown_option.empty()) w.unknown_option = name;
        continue;
      }
      if (o->get_type_size() > 0 && t.find('=') == std::string::npos) ++i;  // its value
      continue;
    }
    if (w.positionals.empty() && w.unknown_command.empty()) {
      if (CLI::App* s = find_subcommand(*w.command, t)) {
        w.command = s;
        continue;
      }
      if (!subcommands_of(*w.command).empty() && w.command->get_require_subcommand_min() > 0) {
        w.unknown_command = t;
        continue;
      }
    }
    w.positionals.push_back(t);
  }
  return w;
}

void say(const std::string& line) { std::fprintf(stderr, "keyward: %s\n", line.c_str()); }

std::string help_hint(const CLI::App& command) {
  std::string p = path_of(command);
  std::string rest = p.size() > 7 ? p.substr(8) : std::string();  // after "keyward "
  return "see `keyward help" + (rest.empty() ? std::string() : " " + rest) + "`";
}

}  // namespace

int run_help(CLI::App& app, const std::vector<std::string>& words) {
  CLI::App* cur = &app;
  for (const auto& w : words) {
    CLI::App* s = find_subcommand(*cur, w);
    if (s == nullptr) {
      std::string line = "no command `" + path_of(*cur) + " " + w + "`";
      if (auto c = closest(w, subcommand_names(*cur)); !c.empty()) {
        line += "; did you mean `" + path_of(*cur) + " " + c + "`?";
      }
      say(line);
      std::fprintf(stderr, "The commands of `%s`: %s\n", path_of(*cur).c_str(),
                   list_of(subcommand_names(*cur)).c_str());
      return exit_code(Errc::invalid_argument);
    }
    cur = s;
  }
  // The usage line names the whole command ("keyward slot add"), as `CMD --help` does.
  std::string prev = cur->get_parent() != nullptr ? path_of(*cur->get_parent()) : std::string();
  std::fputs(cur->help(prev).c_str(), stdout);
  return 0;
}

int report_usage_error(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  Walk w = walk(app, argc, argv);
  CLI::App& cmd = *w.command;
  const std::string path = path_of(cmd);
  const int code = exit_code(Errc::invalid_argument);

  if (!w.unknown_command.empty()) {
    std::string line = "unknown command `" + w.unknown_command + "`";
    if (&cmd != &app) line = "`" + path + "` has no command `" + w.unknown_command + "`";
    if (auto c = closest(w.unknown_command, subcommand_names(cmd)); !c.empty()) {
      line += "; did you mean `" + path + " " + c + "`?";
    }
    say(line);
    std::fprintf(stderr, "The commands: %s (%s)\n", list_of(subcommand_names(cmd)).c_str(),
                 help_hint(cmd).c_str());
    return code;
  }
  if (w.command_without_dashdash ||
      (runs_a_command(cmd) && dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr)) {
    say("put `--` between keyward's options and the command to run: `" + path +
        " [OPTIONS] -- COMMAND [ARGS...]`");
    return code;
  }
  if (!w.unknown_option.empty()) {
    std::string line = "`" + path + "` has no option " + w.unknown_option;
    std::string bare = w.unknown_option;
    if (auto c = closest(bare, option_names(cmd)); !c.empty()) line += "; did you mean " + c + "?";
    say(line + " (" + help_hint(cmd) + ")");
    return code;
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    const std::string name = cmd.get_name();
    if (name == "set") {
      say("`keyward set` takes the value on stdin, never as an argument (argv is visible to every "
          "process on the machine and lands in shell history): `printf %s \"$VALUE\" | keyward set "
          "COORDINATE`, or run it on a terminal to be prompted");
      return code;
    }
  }
  if (e.get_name() == "RequiredError" && !subcommands_of(cmd).empty() &&
      cmd.get_require_subcommand_min() > 0 && w.positionals.empty()) {
    say("`" + path + "` needs a command: " + list_of(subcommand_names(cmd)) + " (" +
        help_hint(cmd) + ")");
    return code;
  }
  say(std::string(e.what()) + " (" + help_hint(cmd) + ")");
  return code;
}

}  // namespace keyward::cli
