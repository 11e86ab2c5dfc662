#include "out/text.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

using namespace syskit::out;

TEST_CASE("human_size rounds up like du -h") {
    CHECK(human_size(0) == "0");
    CHECK(human_size(1023) == "1023");
    CHECK(human_size(1024) == "1.0K");
    CHECK(human_size(1025) == "1.1K");
    CHECK(human_size(10 * 1024) == "10K");
    CHECK(human_size(10 * 1024 + 1) == "11K");
    CHECK(human_size(1024 * 1024 - 1) == "1.0M");
    CHECK(human_size(15ull << 20) == "15M");
    CHECK(human_size(3ull << 30) == "3.0G");
}

TEST_CASE("escape_for_terminal leaves no control character and keeps UTF-8") {
    CHECK(escape_for_terminal("plain") == "plain");
    CHECK(escape_for_terminal("a\nb") == "a\\nb");
    CHECK(escape_for_terminal("\033[2J") == "\\033[2J");
    CHECK(escape_for_terminal("back\\slash") == "back\\\\slash");
    CHECK(escape_for_terminal("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(escape_for_terminal("bad\xff") == "bad\\xff");
    CHECK(escape_for_terminal("cut\xc3") == "cut\\xc3");
    CHECK(escape_for_terminal("csi\xc2\x9b" "2J") == "csi\\xc2\\x9b2J"); // C1 control CSI
    CHECK(escape_for_terminal("\xc2\xa0") == "\xc2\xa0");                // U+00A0 is printable
    CHECK(escape_for_terminal("\xc0\xaf") == "\\xc0\\xaf");              // overlong '/'
}

TEST_CASE("shell_quote quotes what a shell would split or expand") {
    CHECK(shell_quote("a/b.c") == "a/b.c");
    CHECK(shell_quote("a b") == "'a b'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("$HOME") == "'$HOME'");
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("new\nline") == "'new\nline'");
}

TEST_CASE("Sink writes records and reports a failed write") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    {
        Sink sink(fds[1]);
        sink.line("one");
        sink.record0("two");
        CHECK(sink.flush());
    }
    char buf[16] = {};
    ssize_t n = read(fds[0], buf, sizeof buf);
    CHECK(std::string(buf, static_cast<std::size_t>(n)) == std::string("one\ntwo\0", 8));
    close(fds[0]);
    close(fds[1]);

    int devfull = open("/dev/full", O_WRONLY);
    REQUIRE(devfull >= 0);
    Sink full(devfull);
    full.line("lost");
    CHECK_FALSE(full.flush());
    CHECK(full.error() == ENOSPC);
    close(devfull);
}
