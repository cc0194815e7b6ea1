// "Did you mean": the closest of a list of known names to a mistyped one (commands, options,
// environments, components). Core composes the suggestion into its error messages; it prints
// nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace keyward {

// Edit distance: insertions, deletions, substitutions and transpositions of two neighbours
// (optimal string alignment), each costing 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo (distance at most
// 1 for short words, 2 from 5 characters, or a unique prefix of at least 3), else empty.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace keyward
