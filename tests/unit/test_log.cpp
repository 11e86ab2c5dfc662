// lib/log: log lines in logfmt and JSON, levels, and logging to a file that a rotator renames.
#include "log/log.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

using namespace syskit;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

/// What the logger wrote into a pipe so far.
std::string drain(int fd) {
    std::string r;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        r.append(buf, static_cast<std::size_t>(n));
    return r;
}

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

/// A non-blocking pipe whose ends close with it.
struct Pipe {
    int fds[2] = {-1, -1};
    Pipe() { REQUIRE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0); }
    ~Pipe() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
};

} // namespace

TEST_CASE("log: level names") {
    CHECK(log::level_name(log::Level::debug) == "debug");
    CHECK(log::level_name(log::Level::info) == "info");
    CHECK(log::level_name(log::Level::warn) == "warn");
    CHECK(log::level_name(log::Level::error) == "error");
}

TEST_CASE("log: logfmt lines, values quoted only when they must be") {
    log::Logger l(log::Format::logfmt);
    CHECK(l.format_line(log::Level::info, "listening", {}, "") == "level=info msg=listening\n");
    CHECK(l.format_line(log::Level::warn, "two words", {{"addr", "127.0.0.1:6380"}}, "2024-01-31T23:59:59.123Z") ==
          "time=2024-01-31T23:59:59.123Z level=warn msg=\"two words\" addr=127.0.0.1:6380\n");
    CHECK(l.format_line(log::Level::error, "m",
                        {{"n", std::int64_t{-3}}, {"u", std::uint64_t{7}}, {"d", 1.5}, {"yes", true}, {"no", false}},
                        "") == "level=error msg=m n=-3 u=7 d=1.5 yes=true no=false\n");
    // A hostile value can start neither a new field nor a new line.
    CHECK(l.format_line(log::Level::info, "m",
                        {{"empty", ""},
                         {"eq", "a=b"},
                         {"quote", "say \"hi\""},
                         {"slash", "a\\b"},
                         {"lines", "one\ntwo\r\tend"},
                         {"ctl", std::string_view("\x01\x7f", 2)},
                         {"utf8", "café"}},
                        "") ==
          "level=info msg=m empty=\"\" eq=\"a=b\" quote=\"say \\\"hi\\\"\" slash=\"a\\\\b\" "
          "lines=\"one\\ntwo\\r\\tend\" ctl=\"\\x01\\x7f\" utf8=café\n");
}

TEST_CASE("log: JSON lines") {
    log::Logger l(log::Format::json);
    CHECK(l.format_line(log::Level::info, "listening", {}, "") == "{\"level\":\"info\",\"msg\":\"listening\"}\n");
    CHECK(l.format_line(log::Level::warn, "say \"hi\"\n",
                        {{"s", "v"}, {"n", std::int64_t{-3}}, {"u", std::uint64_t{7}}, {"d", 0.25}, {"b", true}},
                        "2024-01-31T23:59:59.123Z") ==
          "{\"time\":\"2024-01-31T23:59:59.123Z\",\"level\":\"warn\",\"msg\":\"say \\\"hi\\\"\\n\",\"s\":\"v\","
          "\"n\":-3,\"u\":7,\"d\":0.25,\"b\":true}\n");
}

TEST_CASE("log: log() writes whole lines with an RFC 3339 UTC time, at or above the level") {
    Pipe p;
    {
        log::Logger l(log::Format::logfmt, p.fds[1]);
        l.info("started", {{"pid", std::int64_t{42}}});
        l.log(log::Level::debug, "hidden");
        l.set_min_level(log::Level::debug);
        l.log(log::Level::debug, "shown");
        l.set_min_level(log::Level::error);
        l.warn("hidden");
        l.error("failed", {{"why", "no space"}});
    }
    // The logger did not own the descriptor: it is still open.
    CHECK(::fcntl(p.fds[1], F_GETFD) != -1);
    std::string out = drain(p.fds[0]);
    std::regex want("time=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z level=info msg=started pid=42\n"
                    "time=\\S+ level=debug msg=shown\n"
                    "time=\\S+ level=error msg=failed why=\"no space\"\n");
    CHECK_MESSAGE(std::regex_match(out, want), out);
}

TEST_CASE("log: a log file, reopened after a rotator renamed it") {
    TempDir t;
    std::string path = t / "app.log", error;
    std::size_t fds = open_fds();
    {
        log::Logger l(log::Format::json);
        REQUIRE_MESSAGE(l.open(path, error), error);
        struct stat st {};
        REQUIRE(::stat(path.c_str(), &st) == 0);
        mode_t mask = ::umask(0);
        ::umask(mask);
        CHECK((st.st_mode & 0777) == (0640 & ~mask));
        l.info("first");
        std::filesystem::rename(path, t / "app.log.1");
        l.info("second"); // still the renamed file: nothing has told the logger
        REQUIRE_MESSAGE(l.reopen(error), error);
        l.info("third");
        CHECK(open_fds() == fds + 1);
    }
    CHECK(open_fds() == fds); // the file it opened is closed with it
    std::string old = slurp(t / "app.log.1"), now = slurp(path);
    CHECK(old.find("\"msg\":\"first\"") != std::string::npos);
    CHECK(old.find("\"msg\":\"second\"") != std::string::npos);
    CHECK(old.find("\"msg\":\"third\"") == std::string::npos);
    CHECK(now.find("\"msg\":\"third\"") != std::string::npos);
    CHECK(std::count(now.begin(), now.end(), '\n') == 1);

    // Opening appends to what is there.
    {
        log::Logger l;
        REQUIRE(l.open(path, error));
        l.info("fourth");
    }
    CHECK(slurp(path).find("msg=fourth") != std::string::npos);
    CHECK(slurp(path).find("\"msg\":\"third\"") != std::string::npos);
}

TEST_CASE("log: open() failing, and reopen() on standard error") {
    TempDir t;
    log::Logger l;
    std::string error;
    CHECK_FALSE(l.open(t / "missing/app.log", error));
    CHECK(error == "No such file or directory");
    error.clear();
    CHECK(l.reopen(error)); // nothing to reopen
    CHECK(error.empty());
}
