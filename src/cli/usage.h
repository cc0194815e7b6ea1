// Usage mistakes: what keyward says when the command line itself is wrong, and `keyward help`.
// Every message starts with "keyward: ", names the command it is about and, where one is close,
// suggests what was probably meant (edit distance); the exit code is 2 (docs/exit-codes.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/suggest.h"

namespace keyward::cli {

// "Did you mean": core/suggest.h (edit_distance, closest).
using keyward::closest;
using keyward::edit_distance;

// `keyward help [CMD...]`: prints the help of CMD (the whole tool without one) to stdout and
// returns 0; an unknown CMD is a usage error (2) with a suggestion.
int run_help(CLI::App& app, const std::vector<std::string>& words);

// Reports a parse error of `argv` against `app` on stderr and returns the exit code (2).
int report_usage_error(CLI::App& app, const CLI::ParseError& e, int argc, char** argv);

}  // namespace keyward::cli
