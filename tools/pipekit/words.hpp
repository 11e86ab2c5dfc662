// words: a pipeline stage's command line split into words as sh(1) splits them, with its
// quotes and backslashes but none of its expansions, so that no shell ever runs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace syskit::pipekit {

/// Splits text into words: blanks (space, tab, newline) separate them; 'single quotes' keep
/// everything up to the next single quote; "double quotes" keep everything, a backslash
/// escaping only \, ", $, ` and a newline (which it removes) as in sh; outside quotes a
/// backslash keeps the next character ('\ ' is a space in a word) and a backslash-newline is
/// removed.  $, *, ~, ;, | and the rest have no special meaning.  False with error saying what
/// is wrong: an unterminated quote, or a backslash at the end.
bool split_words(std::string_view text, std::vector<std::string>& words, std::string& error);

} // namespace syskit::pipekit
