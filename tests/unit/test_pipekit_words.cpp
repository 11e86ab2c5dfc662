// pipekit/words: a stage's command line split as sh splits words, with no expansion.
#include "pipekit/words.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit::pipekit;

namespace {
std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> w;
    std::string error;
    REQUIRE_MESSAGE(split_words(text, w, error), error);
    return w;
}
std::string error_of(std::string_view text) {
    std::vector<std::string> w;
    std::string error;
    CHECK_FALSE(split_words(text, w, error));
    return error;
}
using V = std::vector<std::string>;
} // namespace

TEST_CASE("pipekit words split at blanks, quotes and backslashes as sh does") {
    CHECK(words("grep -v  x") == V{"grep", "-v", "x"});
    CHECK(words("  \tls\n-l ") == V{"ls", "-l"});
    CHECK(words("") == V{});
    CHECK(words("echo 'a  b' \"c d\"") == V{"echo", "a  b", "c d"});
    CHECK(words("echo a'b'\"c\"d") == V{"echo", "abcd"});
    CHECK(words("echo '' \"\"") == V{"echo", "", ""});
    CHECK(words("echo a\\ b \\'q\\'") == V{"echo", "a b", "'q'"});
    CHECK(words("echo \"say \\\"hi\\\" \\$x \\n\"") == V{"echo", "say \"hi\" $x \\n"});
    CHECK(words("echo 'it\\s'") == V{"echo", "it\\s"});
    CHECK(words("a\\\nb") == V{"ab"});
}

TEST_CASE("pipekit words do no expansion: variables, globs, operators stay as they are") {
    CHECK(words("echo $HOME * ~ ; | && `id` $(id)") ==
          V{"echo", "$HOME", "*", "~", ";", "|", "&&", "`id`", "$(id)"});
}

TEST_CASE("pipekit words refuse unterminated quotes and a trailing backslash") {
    CHECK(error_of("echo 'a") == "a single quote is not closed");
    CHECK(error_of("echo \"a") == "a double quote is not closed");
    CHECK(error_of("echo \"a\\\"") == "a double quote is not closed");
    CHECK(error_of("echo a\\") == "a backslash at the end escapes nothing");
}
