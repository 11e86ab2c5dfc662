// cachenode's command line: options.cpp's add_options() and finish().
#include "argv.hpp"
#include "cachenode/options.hpp"

#include "cli/cli.hpp"
#include "cli/jobs.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace syskit;
using namespace syskit::cachenode;

namespace {

/// Parses args as cachenode would: "subject: message" of the problem finish() finds, or ""
/// when the line is fine.  out: the options, when given.
std::string problem_of(std::vector<std::string> args, Options* out = nullptr) {
    cli::Tool tool("cachenode", "test");
    CLI::App& app = tool.app();
    Options o;
    add_options(app, o);
    test::Argv argv("cachenode", std::move(args));
    if (auto usage = tool.check(argv.argc(), argv.argv()))
        return usage->subject + ": " + usage->message;
    auto p = finish(o);
    if (out)
        *out = o;
    return p ? p->subject + ": " + p->message : "";
}

} // namespace

TEST_CASE("cachenode options: unset ones keep Config's defaults, threads follow the CPUs") {
    Options o;
    REQUIRE(problem_of({}, &o) == "");
    const Config d;
    CHECK(o.cfg.store.max_memory == d.store.max_memory);
    CHECK(o.cfg.store.max_value == d.store.max_value);
    CHECK(o.cfg.store.policy == d.store.policy);
    CHECK(o.cfg.max_key == d.max_key);
    CHECK(o.cfg.max_request == d.max_request);
    CHECK(o.cfg.log_format == log::Format::logfmt);
    CHECK(o.cfg.threads == cli::cpu_count());
    CHECK(o.cfg.port == 6380);
    CHECK(o.cfg.http_port == 8080);
    CHECK_FALSE(o.check_config);
}

TEST_CASE("cachenode options: sizes, policy, log format and ports are typed") {
    Options o;
    REQUIRE(problem_of({"--max-memory", "1G", "--max-key", "100", "--max-value", "64K", "--max-request", "1M",
                        "--eviction", "s3fifo", "--log-format", "json", "--threads", "3", "--port", "0",
                        "--bind", "::1", "--token-file", "/run/token", "--check-config"},
                       &o) == "");
    CHECK(o.cfg.store.max_memory == std::size_t{1} << 30);
    CHECK(o.cfg.max_key == 100);
    CHECK(o.cfg.store.max_value == 64 * 1024);
    CHECK(o.cfg.max_request == 1 << 20);
    CHECK(o.cfg.store.policy == Policy::s3fifo);
    CHECK(o.cfg.log_format == log::Format::json);
    CHECK(o.cfg.threads == 3);
    CHECK(o.cfg.port == 0);
    CHECK(o.cfg.bind == "::1");
    CHECK(o.token_file == "/run/token");
    CHECK(o.check_config);
}

TEST_CASE("cachenode options: what finish() refuses, and why") {
    CHECK(problem_of({"--max-memory", "lots"}) ==
          "--max-memory: 'lots' is not a size (a number of bytes, optionally followed by K, M, G, T, P or E: 512, "
          "64K, 1.5G)");
    CHECK(problem_of({"--max-memory", ""}).starts_with("--max-memory: '' is not a size"));
    CHECK(problem_of({"--max-memory", "1023K"}) == "--max-memory: '1023K' is out of range (1048576 to "
                                                   "1125899906842624 bytes)");
    CHECK(problem_of({"--max-value", "2G"}) == "--max-value: '2G' is out of range (1 to 536870912 bytes)");
    CHECK(problem_of({"--max-key", "0"}) == "--max-key: '0' is out of range (1 to 16777215 bytes)");
    CHECK(problem_of({"--max-request", "1000"}) == "--max-request: '1000' is out of range (1024 to 2147483648 bytes)");
    CHECK(problem_of({"--max-request", "1M", "--max-value", "1M"}) ==
          "--max-request: must be at least --max-value plus --max-key, or the largest SET cannot arrive");
    CHECK(problem_of({"--max-request", "1M", "--max-value", "960K"}) == ""); // 960K + 64K is 1M exactly
    CHECK(problem_of({"--eviction", "random"}) ==
          "--eviction: unknown policy 'random' (sieve, s3fifo, lru, noeviction)");
    CHECK(problem_of({"--bind", "localhost"}) == "--bind: 'localhost' is not an IPv4 or IPv6 address");
    CHECK(problem_of({"--port", "0", "--http-port", "0"}) == "--port: both listeners are off (--port 0 --http-port 0)");
    CHECK(problem_of({"--port", "7000", "--http-port", "7000"}) ==
          "--http-port: the RESP listener has port 7000 already");
    CHECK(problem_of({"--port", "0", "--http-port", "7000"}) == "");
}

TEST_CASE("cachenode options: CLI11 refuses what it checks itself") {
    CHECK(problem_of({"--busy-poll", "2000000"}) == "--busy-poll: '2000000' is not a number from 0 to 1000000");
    CHECK(problem_of({"--threads", "0"}) == "--jobs: '0' is not a number from 1 to 256");
    CHECK(problem_of({"--log-format", "xml"}) == "--log-format: 'xml' is not one of: logfmt, json");
    CHECK(problem_of({"--tls-cert", "c.pem"}) == "--tls-cert: only with --tls-key");
    CHECK(problem_of({"--requirepass", "a", "--token-file", "t"}) == "--requirepass: cannot be used with --token-file");
}

TEST_CASE("cachenode options: a cluster node with TLS needs the CA of its peers") {
    const std::vector<std::string> tls{"--tls-cert", "c.pem", "--tls-key", "k.pem"};
    auto with = [&](std::vector<std::string> more) {
        more.insert(more.end(), tls.begin(), tls.end());
        return more;
    };
    CHECK(problem_of(with({"--cluster"})).starts_with("--tls-ca-cert: a cluster node with TLS checks its peers'"));
    Options o;
    CHECK(problem_of(with({"--cluster", "--tls-ca-cert", "ca.pem"}), &o) == "");
    CHECK(o.cfg.tls_ca_cert == "ca.pem");
    CHECK(problem_of(with({"--tls-ca-cert", "ca.pem"})).starts_with("--tls-ca-cert: "));
    CHECK(problem_of({"--cluster", "--tls-ca-cert", "ca.pem"}).starts_with("--tls-ca-cert: "));
    CHECK(problem_of(with({})) == "");
}
