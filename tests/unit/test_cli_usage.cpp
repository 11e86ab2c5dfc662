// cli/usage, cli/values and cli/help: usage errors in words whatever check CLI11 made, value
// lists that take only their names, and the one --help layout.  (One file for the three: each
// file that includes CLI11 costs the build more than the tests in it.)
#include "argv.hpp"
#include "cli/cli.hpp"
#include "cli/help.hpp"
#include "cli/values.hpp"

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace syskit;

namespace {

/// A tool with one option of each kind the tools declare.
struct Sample {
    cli::Tool tool{"sample", "sample - a tool to test with"};
    enum class Mode { fast, slow } mode = Mode::fast;
    unsigned port = 0;
    int depth = 0, legacy = 0, old_member_given = 0;
    double ratio = 0;
    std::string member, policy, name;
    bool a = false, b = false, c = false;
    std::vector<std::string> paths;

    Sample() {
        auto& app = tool.app();
        tool.add_format().add_color().add_quiet();
        app.add_option("--mode", mode, "How to go")
            ->transform(cli::one_of(std::vector<std::pair<std::string, Mode>>{{"fast", Mode::fast}, {"slow", Mode::slow}}));
        app.add_option("--port", port, "A port")->check(CLI::Range(0, 65535));
        app.add_option("--depth", depth, "A depth")->check(CLI::Range(0, 2147483647));
        app.add_option("--ratio", ratio, "A ratio")->check(CLI::Range(0.01, 100.0));
        app.add_option("--small", legacy, "A number with no check");
        app.add_option("--member", member, "IsMember")->check(CLI::IsMember({"logfmt", "json"}));
        static const std::map<std::string, int> names{{"one", 1}, {"two", 2}};
        app.add_option("--mapped", old_member_given, "CheckedTransformer")->transform(CLI::CheckedTransformer(names));
        app.add_option("--policy", policy, "A policy")->check(cli::one_of({"lru", "sieve"}));
        auto* a_opt = app.add_flag("--aa", a, "A");
        auto* b_opt = app.add_flag("--bb", b, "B");
        auto* c_opt = app.add_flag("--cc", c, "C");
        a_opt->excludes(b_opt);
        c_opt->needs(a_opt);
        app.add_option("--name", name, "A name");
        app.add_option("PATH", paths, "Paths")->required();
    }

    /// "subject: message" of the usage error args make, or "".
    std::string usage(std::vector<std::string> args) {
        test::Argv argv("sample", std::move(args));
        auto p = tool.check(argv.argc(), argv.argv());
        return p ? p->subject + ": " + p->message : "";
    }
};

std::string usage(std::vector<std::string> args) { return Sample().usage(std::move(args)); }

} // namespace

TEST_CASE("cli usage: value lists name their values, and take nothing else") {
    CHECK(usage({"--format", "xml", "p"}) == "--format: 'xml' is not one of: text, json");
    CHECK(usage({"--format", "1", "p"}) == "--format: '1' is not one of: text, json");
    CHECK(usage({"--color", "sometimes", "p"}) == "--color: 'sometimes' is not one of: auto, always, never");
    CHECK(usage({"--mode", "0", "p"}) == "--mode: '0' is not one of: fast, slow");
    CHECK(usage({"--policy", "fifo", "p"}) == "--policy: 'fifo' is not one of: lru, sieve");
    // CLI11's own checks, in the same words.
    CHECK(usage({"--member", "xml", "p"}) == "--member: 'xml' is not one of: logfmt, json");
    CHECK(usage({"--mapped", "three", "p"}) == "--mapped: 'three' is not one of: one, two");
    Sample s;
    CHECK(s.usage({"--mode", "slow", "--format", "json", "--policy", "sieve", "p"}) == "");
    CHECK(s.mode == Sample::Mode::slow);
    CHECK(s.tool.format() == cli::Format::json);
    CHECK(s.policy == "sieve");
}

TEST_CASE("cli usage: numbers out of range or not numbers at all") {
    CHECK(usage({"--port", "99999", "p"}) == "--port: '99999' is not a number from 0 to 65535");
    CHECK(usage({"--port", "x", "p"}) == "--port: 'x' is not a number from 0 to 65535");
    CHECK(usage({"--depth", "-1", "p"}) == "--depth: '-1' is not a number of at least 0");
    CHECK(usage({"--ratio", "200", "p"}) == "--ratio: '200' is not a number from 0.01 to 100");
    CHECK(usage({"--small", "x", "p"}) == "--small: 'x' is not a number");
    CHECK(usage({"--small", "99999999999", "p"}) == "--small: '99999999999' is out of range");
}

TEST_CASE("cli usage: unknown options, missing values and operands, options that do not go together") {
    CHECK(usage({"--bogus", "p"}) == "--bogus: unknown option");
    CHECK(usage({"--bogus=1", "p"}) == "--bogus: unknown option");
    CHECK(usage({"--bogus"}) == "--bogus: unknown option"); // before the missing PATH
    CHECK(usage({}) == "PATH: required");
    CHECK(usage({"p", "--name"}) == "--name: needs a value");
    CHECK(usage({"--aa", "--bb", "p"}) == "--aa: cannot be used with --bb");
    CHECK(usage({"--cc", "p"}) == "--cc: only with --aa");
    CHECK(usage({"--quiet=x", "p"}).rfind("--quiet: ", 0) == 0);
    CHECK(usage({"--help"}) == "");
    CHECK(usage({"--version"}) == "");
}

TEST_CASE("cli usage: parse prints the problem and the pointer to --help, and exits 2") {
    Sample s;
    test::Argv argv("sample", {"--port", "99999", "p"});
    CHECK(s.tool.parse(argv.argc(), argv.argv()) == cli::exit_trouble);
}

TEST_CASE("cli values: the value lists completions offer, however declared") {
    Sample s;
    auto values = [&](const std::string& name) { return cli::values_of(*s.tool.app().get_option(name)); };
    CHECK(values("--format") == "text json");
    CHECK(values("--color") == "auto always never");
    CHECK(values("--policy") == "lru sieve");
    CHECK(values("--member") == "logfmt json");
    CHECK(values("--mapped") == "one two");
    CHECK(values("--name") == "");
}

TEST_CASE("cli help: util-linux's layout, lines under 80 columns, none of CLI11's notation") {
    Sample s;
    s.tool.footer("Notes about the sample, long enough to be folded at the right margin of the help, "
                  "which is the seventy-ninth column.  See sample(1).");
    std::string help = s.tool.help();
    CHECK(help.rfind("Usage: sample [OPTIONS] PATH...\n\nsample - a tool to test with\n", 0) == 0);
    CHECK(help.find("\nArguments:\n PATH ") != std::string::npos);
    CHECK(help.find("\nOptions:\n") != std::string::npos);
    CHECK(help.find("     --format text|json ") != std::string::npos);
    CHECK(help.find("     --port N ") != std::string::npos);
    CHECK(help.find(" -h, --help ") != std::string::npos);
    // --help and --version close the options, after a blank line.
    CHECK(help.find("\n\n -h, --help") != std::string::npos);
    CHECK(help.find("\n     --version") != std::string::npos);
    // The tool's pointer to its page gives way to util-linux's.
    CHECK(help.find("See sample(1)") == std::string::npos);
    const std::string page = "\nFor more details see sample(1).\n";
    CHECK(help.size() - help.rfind(page) == page.size());
    for (const char* artefact : {"REQUIRED", "Excludes", "Needs", ":{", "->", "TEXT", "UINT", "[Option"})
        CHECK_MESSAGE(help.find(artefact) == std::string::npos, artefact);
    std::istringstream lines(help);
    for (std::string line; std::getline(lines, line);)
        CHECK_MESSAGE(line.size() < 80, line);
}

TEST_CASE("cli help: wrap folds at spaces and indents the lines after the first") {
    CHECK(cli::wrap("one two three", 2, 9) == "one two\n  three");
    CHECK(cli::wrap("a\nb", 3) == "a\n   b");
    CHECK(cli::wrap("averyveryverylongword x", 0, 5) == "averyveryverylongword\nx");
}
