// logroll/state: the state file's records, written and read back.
#include "logroll/state.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <string>

using namespace syskit::logroll;

TEST_CASE("logroll state: records survive a round trip, odd names too") {
    State s{{"/var/log/dpkg.log", 1796083200}, {"/tmp/a b\nc\\d\x01", 42}};
    auto text = format_state(s);
    CHECK(text.find("2026-12-01T00:00:00Z /var/log/dpkg.log\n") != std::string::npos);
    CHECK(text.find("1970-01-01T00:00:42Z /tmp/a b\\nc\\\\d\\x01\n") != std::string::npos);
    unsigned bad = 9;
    CHECK(parse_state(text, bad) == s);
    CHECK(bad == 0);
}

TEST_CASE("logroll state: lines it cannot read are counted and left out") {
    unsigned bad = 0;
    auto s = parse_state("# c\n2026-02-30T00:00:00Z /a\n2026-12-01T00:00:00Z\nnonsense\n2026-12-01T00:00:00Z /b\\q\n"
                         "2026-12-01T00:00:01Z /ok\n",
                         bad);
    CHECK(bad == 4);
    REQUIRE(s.size() == 1);
    CHECK(s.at("/ok") == 1796083201);
}

TEST_CASE("logroll state: saved whole and loaded; a missing file is empty") {
    char dir[] = "/tmp/logroll-state-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string path = std::string(dir) + "/status";
    State s;
    unsigned bad = 0;
    std::string error;
    CHECK(load_state(path, s, bad, error));
    CHECK(s.empty());
    State want{{"/x", 1}, {"/y", 2}};
    REQUIRE(save_state(path, want, error));
    CHECK(access((path + ".tmp").c_str(), F_OK) != 0);
    CHECK(load_state(path, s, bad, error));
    CHECK(s == want);
    CHECK_FALSE(save_state(std::string(dir) + "/no/such/status", want, error));
    CHECK(error.find("No such file") != std::string::npos);
    unlink(path.c_str());
    rmdir(dir);
}

TEST_CASE("logroll state: logrotate's state file, both of its formats, read in local time") {
    unsigned bad = 9;
    auto s = parse_logrotate_state("logrotate state -- version 2\n"
                                   "\"/var/log/a\\\"b \\\\c\\nd.log\" 2026-12-1-17:0:0\n"
                                   "/var/log/old format.log 2026-11-30\n"
                                   "\"/var/log/unclosed 2026-12-1-0:0:0\n"
                                   "\"/var/log/bad-date\" 2026-13-1-0:0:0\n"
                                   "\"/var/log/bad-time\" 2026-12-1-0:0\n"
                                   "\"/var/log/trailing\" 2026-12-1-0:0:0x\n",
                                   bad);
    CHECK(bad == 4);
    REQUIRE(s.size() == 2);
    std::tm tm{};
    tm.tm_year = 126;
    tm.tm_mon = 11;
    tm.tm_mday = 1;
    tm.tm_hour = 17;
    tm.tm_isdst = -1;
    CHECK(s.at("/var/log/a\"b \\c\nd.log") == std::mktime(&tm));
    tm = {};
    tm.tm_year = 126;
    tm.tm_mon = 10;
    tm.tm_mday = 30;
    tm.tm_isdst = -1;
    CHECK(s.at("/var/log/old format.log") == std::mktime(&tm));
}
