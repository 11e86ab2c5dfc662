// cli/spec: the options as data the completions are generated from.
#include "cli/spec.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

using namespace syskit;

TEST_CASE("spec: one line per named option: names, value or flag, values, help") {
    CLI::App app("test", "t");
    bool quiet = false;
    std::string name;
    std::vector<std::string> paths;
    app.add_flag("-q,--quiet", quiet, "Say less");
    app.add_option("-n,--name", name, "A name\twith a tab");
    app.add_option("paths", paths, "Operands are left out");
    CHECK(cli::options_spec(app) ==
          "-h --help\t0\t\tPrint this help message and exit\n"
          "-q --quiet\t0\t\tSay less\n"
          "-n --name\t1\t\tA name with a tab\n");
}

TEST_CASE("spec: the values of an enumerated option, however it declares them") {
    CLI::App app("test", "t");
    app.set_help_flag();
    std::string text, member, mapped, free;
    app.add_option("--text", text, "a|b list")->option_text("one|two|three");
    app.add_option("--member", member, "IsMember")->check(CLI::IsMember({"logfmt", "json"}));
    static const std::map<std::string, int> names{{"json", 1}, {"text", 0}};
    app.add_option("--mapped", mapped, "CheckedTransformer")->transform(CLI::CheckedTransformer(names));
    app.add_option("--free", free, "Any value")->option_text("FILE");
    CHECK(cli::options_spec(app) ==
          "--text\t1\tone two three\ta|b list\n"
          "--member\t1\tlogfmt json\tIsMember\n"
          "--mapped\t1\tjson text\tCheckedTransformer\n"
          "--free\t1\t\tAny value\n");
}
