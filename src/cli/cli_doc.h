// The keyward command line as data, for the generated man pages (`keyward _manpage`) and shell
// completions (`keyward completion`). It is read from the CLI11 parser that main.cpp runs
// (configure_app + every registrar), so a subcommand or option added in code shows up in both
// without anyone editing them; tests/cli/manpage_test.sh checks the pages against --help.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace keyward::cli {

struct OptionDoc {
  std::vector<std::string> names;  // "-q", "--quiet"; a positional has its one name ("slot")
  std::string value;               // "FILE", "TEXT"...; empty for a flag
  std::string description;
  bool positional = false;
  bool required = false;
  bool repeatable = false;
};

struct CommandDoc {
  std::string name;  // "add"
  std::string path;  // "slot add" (empty for the top level)
  std::string description;
  std::vector<OptionDoc> options;      // without -h/--help
  std::vector<OptionDoc> positionals;
  std::vector<CommandDoc> subcommands;  // without hidden ones (group "")
  bool requires_subcommand = false;
};

// The whole tree: the top level (global options) with every visible subcommand.
CommandDoc describe_cli();

// Environment variables keyward reads (every KEYWARD_*, SEALED_ENV_* and XDG_* name in src/:
// tests/cli/manpage_test.sh greps the sources and fails when this table misses one).
struct EnvDoc {
  const char* name;
  const char* description;
};
const std::vector<EnvDoc>& environment_doc();

// Files and directories keyward uses.
struct FileDoc {
  const char* path;
  const char* description;
};
const std::vector<FileDoc>& files_doc();

// Every error class with its exit code (core/error.h, exit_code()) and what it means.
struct ExitDoc {
  Errc code;
  const char* meaning;
};
std::vector<ExitDoc> exit_status_doc();

}  // namespace keyward::cli
