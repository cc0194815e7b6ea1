// `keyward completion bash|zsh|fish`: prints a completion script generated from the parser
// itself (cli/cli_doc.h): subcommands, options, and what each option or positional takes.
// Values that live in the vault come from the hidden `keyward _complete envs|coords|slots`:
// coordinates and environment names only from an agent that already holds the vault (no prompt,
// no direct unlock, no agent started; 500 ms at most), slot numbers from the vault file's slot
// table (numbers are not secret and need no key). The package installs the three scripts
// (cmake/Install.cmake); tests/cli/completion_test.sh drives them.
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "agent/client.h"
#include "agent/socket.h"
#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/cli_doc.h"
#include "cli/vault_open.h"
#include "core/vault/storage.h"
#include "core/vault/vault.h"

namespace keyward::cli {
namespace {

// What the word after an option, or a positional, is.
std::string value_kind(const OptionDoc& o) {
  if (!o.positional && o.value.empty()) return {};  // a flag
  auto has = [&](const char* n) {
    for (const auto& name : o.names) {
      std::string bare = name;
      while (!bare.empty() && bare[0] == '-') bare.erase(0, 1);
      if (bare == n) return true;
    }
    return false;
  };
  auto ends_with = [&](const char* suffix) {
    const std::string s(suffix);
    for (const auto& name : o.names) {
      if (name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        return true;
      }
    }
    return false;
  };
  if (has("env")) return "env";
  if (has("coordinate")) return "coord";
  if (has("slot")) return "slot";
  if (o.positional && has("command")) return "command";
  if (o.value == "FILE" || o.value == "DIR" || o.value == "PATH" || ends_with("file") ||
      ends_with("dir") || has("vault") || has("out") || has("output") || has("destination") ||
      has("other") || has("input") || has("in")) {
    return "file";
  }
  return "value";
}

struct Tables {
  // Lines of a shell `case` (bash, zsh) and of a fish `switch`, per lookup function.
  std::vector<std::pair<std::string, std::string>> subs, opts, optkind, poskind;
};

std::string join_names(const std::vector<CommandDoc>& subs) {
  std::string s;
  for (const auto& c : subs) s += (s.empty() ? "" : " ") + c.name;
  return s;
}

void collect(const CommandDoc& c, Tables& t) {
  if (!c.subcommands.empty()) t.subs.emplace_back(c.path, join_names(c.subcommands));
  std::string opts;
  for (const auto& o : c.options) {
    for (const auto& n : o.names) opts += (opts.empty() ? "" : " ") + n;
    const std::string kind = value_kind(o);
    if (!kind.empty()) {
      for (const auto& n : o.names) t.optkind.emplace_back(c.path + "|" + n, kind);
    }
  }
  opts += std::string(opts.empty() ? "" : " ") + "-h --help";
  t.opts.emplace_back(c.path, opts);
  for (std::size_t i = 0; i < c.positionals.size(); ++i) {
    const auto& p = c.positionals[i];
    t.poskind.emplace_back(c.path + "|" + std::to_string(i), value_kind(p));
    if (p.repeatable) t.poskind.emplace_back(c.path + "|*", value_kind(p));
  }
  for (const auto& s : c.subcommands) collect(s, t);
}

// Shell-quoted (single quotes) for sh/zsh and fish alike: our names never contain a quote.
std::string q(const std::string& s) { return "'" + s + "'"; }

std::string sh_function(const std::string& name, const std::string& key,
                        const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out = name + "() {\n  case \"" + key + "\" in\n";
  for (const auto& [k, v] : rows) {
    // A trailing "|*" is a pattern (a repeatable positional), everything else literal.
    const bool glob = k.size() >= 2 && k.compare(k.size() - 2, 2, "|*") == 0;
    out += "    " + (glob ? q(k.substr(0, k.size() - 1)) + "*" : q(k)) + ") echo " + q(v) + " ;;\n";
  }
  out += "  esac\n}\n";
  return out;
}

std::string fish_function(const std::string& name, const std::string& key,
                          const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out = "function " + name + "\n  switch \"" + key + "\"\n";
  for (const auto& [k, v] : rows) {
    const bool glob = k.size() >= 2 && k.compare(k.size() - 2, 2, "|*") == 0;
    out += "    case " + (glob ? q(k.substr(0, k.size() - 1)) + "*" : q(k)) + "\n      echo " +
           q(v) + "\n";
  }
  out += "  end\nend\n";
  return out;
}

std::string sh_tables(const Tables& t) {
  return sh_function("__keyward_subs", "$1", t.subs) + sh_function("__keyward_opts", "$1", t.opts) +
         sh_function("__keyward_optkind", "$1|$2", t.optkind) +
         sh_function("__keyward_poskind", "$1|$2", t.poskind);
}

// The command-line walk shared by bash and zsh (both run it with their own word arrays): sets
// kw_path (the subcommand path), kw_npos (positionals seen), kw_vault (--vault VALUE, passed on
// to _complete) and kw_dashdash (a `--` was seen: the rest is a command).
constexpr const char* kShWalk = R"SH(
__keyward_takes_value() {
  [ -n "$(__keyward_optkind "$1" "$2")" ] || [ -n "$(__keyward_optkind "" "$2")" ]
}
__keyward_kind() {
  local k
  k=$(__keyward_optkind "$1" "$2")
  [ -n "$k" ] || k=$(__keyward_optkind "" "$2")
  echo "$k"
}
__keyward_values() {
  # $1: kind. Prints candidates, one a line (the caller completes files and commands itself).
  case "$1" in
    env) command keyward "${kw_vault[@]}" _complete envs 2>/dev/null ;;
    coord) command keyward "${kw_vault[@]}" _complete coords 2>/dev/null ;;
    slot) command keyward "${kw_vault[@]}" _complete slots 2>/dev/null ;;
  esac
}
__keyward_walk() {
  # $@: the words before the one being completed, without the command name.
  kw_path=""
  kw_npos=0
  kw_vault=()
  kw_dashdash=0
  local w skip=0 prevw=""
  for w in "$@"; do
    if [ "$skip" = 1 ]; then
      skip=0
      [ "$prevw" = --vault ] && kw_vault=(--vault "$w")
      continue
    fi
    if [ "$kw_dashdash" = 1 ]; then kw_npos=$((kw_npos + 1)); continue; fi
    case "$w" in
      --) kw_dashdash=1 ;;
      --vault=*) kw_vault=(--vault "${w#--vault=}") ;;
      --*=*) ;;
      -*) if __keyward_takes_value "$kw_path" "$w"; then skip=1; prevw=$w; fi ;;
      *)
        case " $(__keyward_subs "$kw_path") " in
          *" $w "*) kw_path="${kw_path:+$kw_path }$w"; kw_npos=0 ;;
          *) kw_npos=$((kw_npos + 1)) ;;
        esac ;;
    esac
  done
}
)SH";

std::string bash_script(const Tables& t) {
  std::string s = "# bash completion for keyward (generated by `keyward completion bash`)\n";
  s += sh_tables(t);
  s += kShWalk;
  s += R"SH(
_keyward() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=""
  [ "$COMP_CWORD" -gt 1 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
  local kw_path kw_npos kw_dashdash kind
  local -a kw_vault
  __keyward_walk "${COMP_WORDS[@]:1:COMP_CWORD-1}"
  COMPREPLY=()
  if [ "$kw_dashdash" = 1 ]; then
    if [ "$kw_npos" = 0 ]; then COMPREPLY=($(compgen -c -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
    return 0
  fi
  if [[ $prev == -* && $prev != *=* ]] && __keyward_takes_value "$kw_path" "$prev"; then
    kind=$(__keyward_kind "$kw_path" "$prev")
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(__keyward_opts "$kw_path") $([ -n "$kw_path" ] && __keyward_opts "")" -- "$cur"))
    return 0
  elif [ -n "$(__keyward_subs "$kw_path")" ]; then
    COMPREPLY=($(compgen -W "$(__keyward_subs "$kw_path")" -- "$cur"))
    return 0
  else
    kind=$(__keyward_poskind "$kw_path" "$kw_npos")
  fi
  case "$kind" in
    file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    command) COMPREPLY=($(compgen -c -- "$cur")) ;;
    env|coord|slot)
      local IFS=$'\n'
      COMPREPLY=($(compgen -W "$(__keyward_values "$kind")" -- "$cur")) ;;
  esac
  return 0
}
complete -o default -o bashdefault -F _keyward keyward
)SH";
  return s;
}

std::string zsh_script(const Tables& t) {
  std::string s = "#compdef keyward\n# zsh completion for keyward (generated by `keyward "
                  "completion zsh`)\n";
  s += sh_tables(t);
  s += kShWalk;
  s += R"SH(
_keyward() {
  local cur=${words[CURRENT]} prev=${words[CURRENT-1]}
  local kw_path kw_npos kw_dashdash kind
  local -a kw_vault cands
  __keyward_walk "${(@)words[2,CURRENT-1]}"
  if [[ $kw_dashdash == 1 ]]; then
    if [[ $kw_npos == 0 ]]; then _command_names -e; else _files; fi
    return
  fi
  if [[ $prev == -* && $prev != *=* ]] && __keyward_takes_value "$kw_path" "$prev"; then
    kind=$(__keyward_kind "$kw_path" "$prev")
  elif [[ $cur == -* ]]; then
    cands=(${=$(__keyward_opts "$kw_path")})
    [[ -n $kw_path ]] && cands+=(${=$(__keyward_opts "")})
    compadd -- $cands
    return
  elif [[ -n $(__keyward_subs "$kw_path") ]]; then
    cands=(${=$(__keyward_subs "$kw_path")})
    compadd -- $cands
    return
  else
    kind=$(__keyward_poskind "$kw_path" "$kw_npos")
  fi
  case $kind in
    file) _files ;;
    command) _command_names -e ;;
    env|coord|slot) cands=(${(f)"$(__keyward_values $kind)"}); compadd -- $cands ;;
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _keyward "$@"
else
  compdef _keyward keyward
fi
)SH";
  return s;
}

std::string fish_script(const Tables& t) {
  std::string s = "# fish completion for keyward (generated by `keyward completion fish`)\n";
  s += fish_function("__keyward_subs", "$argv[1]", t.subs);
  s += fish_function("__keyward_opts", "$argv[1]", t.opts);
  s += fish_function("__keyward_optkind", "$argv[1]|$argv[2]", t.optkind);
  s += fish_function("__keyward_poskind", "$argv[1]|$argv[2]", t.poskind);
  s += R"SH(
function __keyward_kind
  set -l k (__keyward_optkind $argv[1] $argv[2])
  test -n "$k"; or set k (__keyward_optkind '' $argv[2])
  echo $k
end
function __keyward_complete
  set -l words (commandline -opc)
  set -l cur (commandline -ct)
  set -e words[1]
  set -l kw_path ''
  set -l npos 0
  set -l vault
  set -l dashdash 0
  set -l skip 0
  set -l prevw ''
  for w in $words
    if test $skip = 1
      set skip 0
      test "$prevw" = --vault; and set vault --vault $w
      continue
    end
    if test $dashdash = 1
      set npos (math $npos + 1)
      continue
    end
    switch $w
      case '--'
        set dashdash 1
      case '--vault=*'
        set vault --vault (string replace -- '--vault=' '' $w)
      case '--*=*'
      case '-*'
        if test -n "$(__keyward_kind "$kw_path" $w)"
          set skip 1
          set prevw $w
        end
      case '*'
        if contains -- $w (string split -- ' ' (__keyward_subs "$kw_path"))
          set kw_path (string trim "$kw_path $w")
          set npos 0
        else
          set npos (math $npos + 1)
        end
    end
  end
  set -l prev ''
  test (count $words) -gt 0; and set prev $words[-1]
  set -l kind ''
  if test $dashdash = 1
    if test $npos = 0; __fish_complete_command; else; __fish_complete_path $cur; end
    return
  end
  if string match -q -- '-*' $prev; and not string match -q -- '*=*' $prev; and test -n "$(__keyward_kind "$kw_path" $prev)"
    set kind (__keyward_kind "$kw_path" $prev)
  else if string match -q -- '-*' $cur
    string split -- ' ' (__keyward_opts "$kw_path")
    test -n "$kw_path"; and string split -- ' ' (__keyward_opts '')
    return
  else if test -n "$(__keyward_subs "$kw_path")"
    string split -- ' ' (__keyward_subs "$kw_path")
    return
  else
    set kind (__keyward_poskind "$kw_path" $npos)
  end
  switch "$kind"
    case file
      __fish_complete_path $cur
    case command
      __fish_complete_command
    case env
      command keyward $vault _complete envs 2>/dev/null
    case coord
      command keyward $vault _complete coords 2>/dev/null
    case slot
      command keyward $vault _complete slots 2>/dev/null
  end
end
complete -c keyward -f -a '(__keyward_complete)'
)SH";
  return s;
}

// Coordinates of the vault, from an agent that holds it; nothing otherwise.
std::vector<std::string> agent_coordinates(const Context& ctx) {
  if (!agent_enabled(ctx)) return {};
  auto path = vault_path(ctx);
  if (!path) return {};
  auto sock = agent::socket_path(false);
  if (!sock) return {};
  agent::Request req;
  req.op = agent::Op::list;
  req.vault = vault::absolute_vault_path(*path);
  auto resp = agent::call(*sock, req, 500);
  if (!resp || !resp->ok) return {};
  std::vector<std::string> out;
  for (const auto& m : resp->metas) {
    if (m.coordinate.rfind(std::string(kReservedEnv) + "/", 0) == 0) continue;
    out.push_back(m.coordinate);
  }
  return out;
}

std::vector<std::string> slot_numbers(const Context& ctx) {
  auto path = vault_path(ctx);
  if (!path) return {};
  auto st = vault::Storage::open(*path);
  if (!st || !st->begin_read()) return {};
  auto rows = st->read_slots();
  st->rollback();
  if (!rows) return {};
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(std::to_string(r.number));
  return out;
}

void add_completion_command(CLI::App& app, Context& ctx) {
  static std::string shell;
  auto* cmd = app.add_subcommand("completion", "Print a shell completion script (bash, zsh, fish)");
  cmd->add_option("shell", shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->footer("Installed by the package; by hand:  keyward completion bash > "
              "~/.local/share/bash-completion/completions/keyward");
  cmd->callback([&ctx] {
    Tables t;
    collect(describe_cli(), t);
    const std::string s = shell == "bash" ? bash_script(t) : shell == "zsh" ? zsh_script(t)
                                                                             : fish_script(t);
    if (std::fwrite(s.data(), 1, s.size(), stdout) != s.size() || std::fflush(stdout) != 0) {
      ctx.exit_code = report(Error{Errc::io, "cannot write the completion script"});
    }
  });

  static std::string what;
  auto* values = app.add_subcommand("_complete", "Values for shell completion");
  values->group("");  // hidden: called by the completion scripts
  values->add_option("what", what, "envs, coords or slots")
      ->required()
      ->check(CLI::IsMember({"envs", "coords", "slots"}));
  values->callback([&ctx] {
    // Never a prompt, a direct unlock or a started agent; never an error message: a completion
    // that cannot find values offers none.
    std::set<std::string> out;
    if (what == "slots") {
      for (auto& n : slot_numbers(ctx)) out.insert(n);
    } else {
      for (const auto& c : agent_coordinates(ctx)) {
        out.insert(what == "coords" ? c : c.substr(0, c.find('/')));
      }
    }
    for (const auto& v : out) std::printf("%s\n", v.c_str());
    std::fflush(stdout);
  });
}

}  // namespace

KEYWARD_COMMAND(140, add_completion_command, "completion _complete");

}  // namespace keyward::cli
