// logroll/config: logrotate's block syntax, the subset logroll supports, and --convert's text.
#include "logroll/config.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::logroll;
using namespace syskit::logroll::config;

namespace {
Config parsed(std::string_view text) {
    Config cfg;
    Directives defaults;
    parse(text, "t.conf", defaults, cfg);
    return cfg;
}
} // namespace

TEST_CASE("logroll config reads Debian's own dpkg and apt files") {
    auto cfg = parsed("/var/log/dpkg.log {\n\tmonthly\n\trotate 12\n\tcompress\n\tdelaycompress\n\tmissingok\n"
                      "\tnotifempty\n\tcreate 644 root root\n}\n"
                      "/var/log/apt/term.log {\n  rotate 12\n  monthly\n  compress\n  missingok\n  notifempty\n}\n");
    REQUIRE(cfg.errors.empty());
    REQUIRE(cfg.blocks.size() == 2);
    const auto& d = cfg.blocks[0].d;
    CHECK(cfg.blocks[0].patterns == std::vector<std::string>{"/var/log/dpkg.log"});
    CHECK(cfg.blocks[0].line == 1);
    CHECK(d.interval == Interval::monthly);
    CHECK(d.rotate == 12);
    CHECK(d.compress);
    CHECK(d.algorithm == Compression::gzip);
    CHECK(d.delaycompress);
    CHECK(d.missingok);
    CHECK_FALSE(d.ifempty);
    CHECK(d.create);
    CHECK(d.create_mode == 0644);
    CHECK(d.create_owner == "root");
    CHECK(d.create_group == "root");
    CHECK_FALSE(cfg.blocks[1].d.delaycompress);
    CHECK_FALSE(cfg.blocks[1].d.create);
}

TEST_CASE("logroll config: defaults outside blocks apply to the blocks after them") {
    auto cfg = parsed("weekly\nrotate 4\ncreate\n/a {\n}\nrotate 7\ndaily\n/b /c\n{\n  nocreate\n}\n");
    REQUIRE(cfg.errors.empty());
    REQUIRE(cfg.blocks.size() == 2);
    CHECK(cfg.blocks[0].d.interval == Interval::weekly);
    CHECK(cfg.blocks[0].d.rotate == 4);
    CHECK(cfg.blocks[0].d.create);
    CHECK(cfg.blocks[1].patterns == std::vector<std::string>{"/b", "/c"});
    CHECK(cfg.blocks[1].d.interval == Interval::daily);
    CHECK(cfg.blocks[1].d.rotate == 7);
    CHECK_FALSE(cfg.blocks[1].d.create);
}

TEST_CASE("logroll config: size and an interval, the last one wins, as in logrotate") {
    auto cfg = parsed("/a {\n daily\n size 100k\n}\n/b {\n size=1M\n weekly\n maxsize 2M\n minsize 10\n maxage 3\n}\n");
    REQUIRE(cfg.errors.empty());
    CHECK(cfg.blocks[0].d.interval == Interval::none);
    CHECK(cfg.blocks[0].d.size == 100u << 10);
    CHECK(cfg.blocks[1].d.interval == Interval::weekly);
    CHECK_FALSE(cfg.blocks[1].d.size);
    CHECK(cfg.blocks[1].d.maxsize == 2u << 20);
    CHECK(cfg.blocks[1].d.minsize == 10u);
    CHECK(cfg.blocks[1].d.maxage == 3 * 86400);
}

TEST_CASE("logroll config: scripts run to endscript, with their lines as written") {
    auto cfg = parsed("/var/log/x.log /var/log/y.log {\n sharedscripts\n postrotate\n"
                      "    invoke-rc.d rsyslog rotate > /dev/null\n    echo '{ }'\n endscript\n"
                      " firstaction\n  true\n endscript\n}\n");
    REQUIRE(cfg.errors.empty());
    REQUIRE(cfg.blocks.size() == 1);
    CHECK(cfg.blocks[0].d.sharedscripts);
    CHECK(cfg.blocks[0].d.postrotate == "    invoke-rc.d rsyslog rotate > /dev/null\n    echo '{ }'\n");
    CHECK(cfg.blocks[0].d.firstaction == "  true\n");
}

TEST_CASE("logroll config: su, olddir, dateext, copytruncate, zstd") {
    auto cfg = parsed("/a {\n su www-data adm\n olddir old\n dateext\n dateformat -%Y%m%d\n copytruncate\n"
                      " compress\n compresscmd /usr/bin/zstd\n compressext .zst\n scripttimeout 5s\n}\n");
    REQUIRE(cfg.errors.empty());
    const auto& d = cfg.blocks[0].d;
    CHECK(d.su_user == "www-data");
    CHECK(d.su_group == "adm");
    CHECK(d.olddir == "old");
    CHECK(d.dateext);
    CHECK(d.copytruncate);
    CHECK(d.algorithm == Compression::zstd);
    CHECK(d.script_timeout == 5);
    // dateformat is mapped to logroll's own stamp, with a warning saying so.
    REQUIRE(cfg.warnings.size() == 1);
    CHECK(cfg.warnings[0].line == 5);
    CHECK(cfg.warnings[0].text.find("NAME.YYYYMMDDTHHMMSSZ") != std::string::npos);
}

TEST_CASE("logroll config: ignored directives warn, refused ones leave their block out") {
    auto cfg = parsed("/a {\n mail root\n rotate 2\n}\n/b {\n shred\n}\n/c {\n copy\n}\n/d {\n frobnicate\n}\n"
                      "/e {\n compresscmd bzip2\n}\n/f {\n rotate many\n}\n/g {\n}\n");
    REQUIRE(cfg.blocks.size() == 2);
    CHECK(cfg.blocks[0].patterns[0] == "/a");
    CHECK(cfg.blocks[1].patterns[0] == "/g");
    REQUIRE(cfg.warnings.size() == 1);
    CHECK(cfg.warnings[0].text == "mail: ignored: logroll does not mail logs");
    REQUIRE(cfg.errors.size() == 5);
    CHECK(cfg.errors[0].line == 6);
    CHECK(cfg.errors[0].text.starts_with("shred: refused: "));
    CHECK(cfg.errors[1].text.starts_with("copy: refused: "));
    CHECK(cfg.errors[2].text == "frobnicate: unknown directive; the block of /d is left out");
    CHECK(cfg.errors[3].text.starts_with("compresscmd bzip2: refused"));
    CHECK(cfg.errors[4].text.starts_with("rotate: 'many' is not a count"));
}

TEST_CASE("logroll config: syntax errors stop the file where they are") {
    auto cfg = parsed("/a {\n rotate 1\n}\n}\n/b {\n}\n");
    CHECK(cfg.blocks.size() == 1);
    REQUIRE(cfg.errors.size() == 1);
    CHECK(cfg.errors[0].line == 4);
    cfg = parsed("/a {\n rotate 1\n");
    CHECK(cfg.blocks.empty());
    REQUIRE(cfg.errors.size() == 1);
    CHECK(cfg.errors[0].text == "the block of /a is not closed");
    cfg = parsed("/a {\n postrotate\n  echo\n}\n");
    CHECK(cfg.blocks.empty());
    REQUIRE(cfg.errors.size() == 1);
    CHECK(cfg.errors[0].text == "a script with no endscript");
    cfg = parsed("/a {\n /b {\n}\n");
    CHECK(cfg.blocks.empty());
    REQUIRE_FALSE(cfg.errors.empty());
    CHECK(cfg.errors.back().text.starts_with("'{' inside a block"));
    cfg = parsed("include /etc/logrotate.d\n");
    REQUIRE(cfg.errors.size() == 1);
    CHECK(cfg.errors[0].text == "include /etc/logrotate.d: not followed here");
}

TEST_CASE("logroll config: a NUL byte in a line is a character like another") {
    using namespace std::string_view_literals;
    auto cfg = parsed("/a {\n rot\0ate 1\n}\n/b\0c {\n}\n"sv);
    REQUIRE(cfg.blocks.size() == 1);
    CHECK(cfg.blocks[0].patterns[0] == "/b\0c"sv);
    REQUIRE(cfg.errors.size() == 1);
    CHECK(cfg.errors[0].line == 2);
}

TEST_CASE("logroll config: include takes the defaults so far and leaks none back") {
    Config cfg;
    Directives defaults;
    Includer inc = [](const std::string& path, Directives& d, Config& c, unsigned depth, std::string&) {
        CHECK(path == "/etc/x.d");
        CHECK(depth == 1);
        CHECK(d.rotate == 3);
        parse("daily\n/in {\n}\n", path, d, c, {}, depth);
        return true;
    };
    parse("rotate 3\ninclude /etc/x.d\n/out {\n}\n", "main", defaults, cfg, inc);
    REQUIRE(cfg.errors.empty());
    REQUIRE(cfg.blocks.size() == 2);
    CHECK(cfg.blocks[0].d.interval == Interval::daily);
    CHECK(cfg.blocks[1].d.interval == Interval::none);
    CHECK(cfg.blocks[1].d.rotate == 3);
}

TEST_CASE("logroll config: tabooext and the names include leaves out") {
    Config cfg;
    CHECK(taboo(cfg, "dpkg.dpkg-old"));
    CHECK(taboo(cfg, "apt~"));
    CHECK(taboo(cfg, ".hidden"));
    CHECK_FALSE(taboo(cfg, "apt"));
    CHECK_FALSE(taboo(cfg, "nginx.conf"));
    Directives d;
    parse("tabooext + .conf, .bak\n", "t", d, cfg);
    CHECK(taboo(cfg, "nginx.conf"));
    CHECK(taboo(cfg, "x.bak"));
    CHECK(taboo(cfg, "apt~"));
    parse("tabooext .new\n", "t", d, cfg);
    CHECK_FALSE(taboo(cfg, "apt~"));
    CHECK(taboo(cfg, "a.new"));
}

TEST_CASE("logroll config: to_text parses back to the same block") {
    auto cfg = parsed("/var/log/a b.log /c {\n weekly\n rotate 5\n maxsize 1M\n maxage 9\n compress\n"
                      " compresscmd zstd\n delaycompress\n dateext\n notifempty\n create 0640 syslog adm\n"
                      " su root adm\n olddir /old\n sharedscripts\n postrotate\n  kill -HUP 1\n endscript\n}\n");
    REQUIRE(cfg.errors.empty());
    auto text = to_text(cfg.blocks[0]);
    auto again = parsed(text);
    REQUIRE(again.errors.empty());
    REQUIRE(again.blocks.size() == 1);
    CHECK(to_text(again.blocks[0]) == text);
    const auto& d = again.blocks[0].d;
    CHECK(again.blocks[0].patterns == std::vector<std::string>{"/var/log/a", "b.log", "/c"});
    CHECK(d.algorithm == Compression::zstd);
    CHECK(d.create_mode == 0640);
    CHECK(d.olddir == "/old");
    CHECK(d.postrotate == "  kill -HUP 1\n");
    CHECK(d.maxage == 9 * 86400);
}

TEST_CASE("logroll config: a su block's scripts, as su's user unless scriptsasroot, and --convert says so") {
    auto cfg = parsed("/a {\n su www-data adm\n postrotate\n  kill -HUP 1\n endscript\n}\n"
                      "/b {\n su www-data adm\n scriptsasroot\n postrotate\n  kill -HUP 1\n endscript\n}\n"
                      "/c {\n su root adm\n postrotate\n  true\n endscript\n}\n/d {\n su www-data\n}\n");
    REQUIRE(cfg.errors.empty());
    REQUIRE(cfg.blocks.size() == 4);
    CHECK_FALSE(cfg.blocks[0].d.scripts_as_root);
    CHECK(cfg.blocks[1].d.scripts_as_root);
    const std::string said = "su www-data: the scripts run as www-data too (logrotate runs them as root); "
                             "'scriptsasroot' runs them as root";
    CHECK(cfg.blocks[0].comments == std::vector<std::string>{said});
    CHECK(cfg.blocks[1].comments.empty()); // scriptsasroot: as logrotate
    CHECK(cfg.blocks[2].comments.empty()); // su root: root either way
    CHECK(cfg.blocks[3].comments.empty()); // no script
    auto again = parsed(to_text(cfg.blocks[1]));
    REQUIRE(again.blocks.size() == 1);
    CHECK(again.blocks[0].d.scripts_as_root);
}
