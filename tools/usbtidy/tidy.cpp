#include "tidy.hpp"

#include "organize.hpp"
#include "report.hpp"

#include "cli/diag.hpp"
#include "fs/fd.hpp"

#include <fmt/format.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace syskit::usbtidy {

namespace {

/// The largest rules file read: a list of extensions is a few kilobytes.
constexpr std::size_t max_rules = 1 << 20;

fs::UniqueFd open_dir(const std::string& dir) {
    fs::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        cli::error(dir, std::strerror(errno));
    return fd;
}

Events events(const Options& o, out::Sink& sink, bool back) {
    bool escape = out::escape_stdout();
    return {[&sink, &o, escape, back](const Move& m) {
                // -q: the moves made go unsaid; the moves --dry-run would make are its result.
                if (!o.quiet || o.dry_run)
                    report_move(sink, o.format, escape, m, back, o.color);
            },
            [escape](std::string_view subject, std::string_view message) {
                cli::error(out::shown(subject, escape), message);
            }};
}

} // namespace

std::optional<Rules> load_rules(const std::string& path, std::string& why) {
    if (path.empty())
        return Rules{};
    std::string text;
    if (!fs::read_file(path.c_str(), text, max_rules)) {
        why = fmt::format("{}: {}", path, std::strerror(errno));
        return std::nullopt;
    }
    auto rules = Rules::parse(text, why);
    if (!rules)
        why = fmt::format("{}: {}", path, why);
    return rules;
}

int run_organize(const Options& o, out::Sink& sink) {
    std::string why;
    auto rules = load_rules(o.rules, why);
    if (!rules) {
        cli::error("--rules", why);
        return cli::exit_trouble;
    }
    auto dirfd = open_dir(o.dir);
    if (!dirfd)
        return cli::exit_trouble;
    auto sum = organize(dirfd.get(), *rules, {.dir = o.dir, .dry_run = o.dry_run}, events(o, sink, false));
    return sum.problems ? cli::exit_trouble : cli::exit_ok;
}

int run_undo(const Options& o, out::Sink& sink) {
    auto dirfd = open_dir(o.dir);
    if (!dirfd)
        return cli::exit_trouble;
    auto sum = undo(dirfd.get(), o.dir, events(o, sink, true));
    return sum.problems ? cli::exit_trouble : cli::exit_ok;
}

} // namespace syskit::usbtidy
