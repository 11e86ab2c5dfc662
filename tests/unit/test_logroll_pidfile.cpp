// logroll/pidfile: the writer's pid file, parsed strictly.
#include "logroll/pidfile.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::logroll;

TEST_CASE("logroll pid files are parsed strictly") {
    CHECK(parse_pid("1234\n") == 1234);
    CHECK(parse_pid("  42  \n") == 42);
    CHECK(parse_pid("4194304") == 4194304);
    std::string why;
    for (const char* bad : {"", "\n", "0", "1", "-5", "+5", "12 34", "12abc", "4194305", "99999999999999999999",
                            "0x10"}) {
        why.clear();
        CHECK_MESSAGE(!parse_pid(bad, &why), bad);
        CHECK_FALSE(why.empty());
    }
}
