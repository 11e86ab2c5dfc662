// pipekit/level: the severity of a log line in each form it may carry one.
#include "pipekit/level.hpp"

#include <doctest/doctest.h>

using namespace syskit::pipekit;

TEST_CASE("pipekit level names in any case, with their aliases") {
    CHECK(level_from_name("ERROR") == Level::error);
    CHECK(level_from_name("err") == Level::error);
    CHECK(level_from_name("Warn") == Level::warning);
    CHECK(level_from_name("fatal") == Level::crit);
    CHECK(level_from_name("panic") == Level::emerg);
    CHECK(level_from_name("informational") == Level::info);
    CHECK(level_from_name("trace") == Level::trace);
    CHECK_FALSE(level_from_name(""));
    CHECK_FALSE(level_from_name("errors"));
    CHECK_FALSE(level_from_name("informationally-long"));
    CHECK(level_name(Level::warning) == "warning");
    CHECK(level_name(Level::none) == "none");
}

TEST_CASE("pipekit prefixes: WORD: or [WORD] among the first words") {
    CHECK(line_level("ERROR: disk full") == Level::error);
    CHECK(line_level("2026-12-01T10:00:00Z WARN: slow") == Level::warning);
    CHECK(line_level("[error] x") == Level::error);
    CHECK(line_level("Dec  1 host [debug] y") == Level::debug);
    CHECK(line_level("ERROR:root:python's logging") == Level::error);
    CHECK(line_level("a b c d ERROR: too far") == Level::none);
    CHECK(line_level("[errors] not a level") == Level::none);
}

TEST_CASE("pipekit logfmt level=, JSON \"level\", syslog <PRI>") {
    CHECK(line_level("time=1 level=error msg=x") == Level::error);
    CHECK(line_level("level=\"warn\" msg=x") == Level::warning);
    CHECK(line_level("time=1 loglevel=error msg=x") == Level::none);
    CHECK(line_level("{\"ts\":1,\"level\":\"fatal\"}") == Level::crit);
    CHECK(line_level("  { \"level\" : \"info\" }") == Level::info);
    CHECK(line_level("{\"level\":50,\"msg\":\"bunyan\"}") == Level::error);
    CHECK(line_level("{\"level\":30}") == Level::info);
    CHECK(line_level("{\"level\":10}") == Level::trace);
    CHECK(line_level("{\"msg\":\"no level\"}") == Level::none);
    CHECK(line_level("{\"level\":\"unterminated") == Level::none);
    CHECK(line_level("<11>Dec 1 host app: x") == Level::error);   // facility 1, severity 3
    CHECK(line_level("<0>kernel panic") == Level::emerg);
    CHECK(line_level("<191>x") == Level::debug);
    CHECK(line_level("<192>x") == Level::none);
    CHECK(line_level("<x>y") == Level::none);
    CHECK(line_level("<1234>y") == Level::none);
    CHECK(line_level("") == Level::none);
    CHECK(line_level("   ") == Level::none);
}
