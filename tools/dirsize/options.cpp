#include "options.hpp"

#include <CLI/CLI.hpp>

#include <cctype>
#include <climits>

namespace syskit::dirsize {

std::optional<BlockSize> parse_block_size(std::string_view text) {
    std::size_t i = 0;
    std::uint64_t number = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
        unsigned digit = static_cast<unsigned>(text[i] - '0');
        if (number > (UINT64_MAX - digit) / 10)
            return std::nullopt;
        number = number * 10 + digit;
    }
    bool has_number = i > 0;
    std::string_view unit = text.substr(i);
    BlockSize b;
    if (unit.empty()) {
        if (!has_number || number == 0)
            return std::nullopt;
        b.bytes = number;
        return b;
    }
    static constexpr std::string_view letters = "KMGTPE";
    char letter = static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0])));
    std::size_t power = letters.find(letter) + 1;
    // As du: k, m, g and t may be lower case, P and E may not.
    if (power == 0 || (std::islower(static_cast<unsigned char>(unit[0])) && power > 4))
        return std::nullopt;
    std::string_view rest = unit.substr(1);
    std::uint64_t base = rest == "" || rest == "iB" ? 1024 : rest == "B" ? 1000 : 0;
    if (base == 0)
        return std::nullopt;
    std::uint64_t scale = 1;
    for (std::size_t k = 0; k < power; ++k)
        scale *= base;
    if (!has_number) {
        number = 1;
        // du names the unit after each size: K, KiB, and for powers of 1000 kB, MB.
        b.suffix = base == 1000 && letter == 'K' ? "kB" : std::string(1, letter) + std::string(rest);
    }
    if (number > UINT64_MAX / scale)
        return std::nullopt;
    b.bytes = number * scale;
    return b;
}

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.add_flag("-s,--summarize", r.summarize, "Each PATH's total alone (the default; du -s)");
    app.add_flag("-a,--all", r.all, "List files as well as directories (du -a)");
    app.add_flag("-b,--apparent", r.apparent, "Count bytes (st_size, du -b) instead of disk usage (st_blocks)");
    app.add_option("-B,--block-size", r.block_size, "Sizes in units of SIZE, rounded up (1K, M, KB)")
        ->type_name("SIZE");
    app.add_flag("-h,--human-readable", o.human, "Sizes as 1.5K, 23M, 4.0G (powers of 1024)");
    app.add_flag("--si", o.si, "Sizes as 1.6k, 24M, 4.3G (powers of 1000)");
    app.add_flag("-c,--total", o.grand_total, "Print a grand total last");
    app.add_option("-d,--depth,--max-depth", o.depth, "List every directory down to N levels below each PATH")
        ->type_name("N")
        ->check(CLI::Range(0, INT_MAX).description(""));
    app.add_option("--top", o.top, "List the N largest directories, largest first")
        ->type_name("N")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30).description(""));
    app.add_flag("--files", r.files, "With --top: the N largest files instead of directories");
    cli::WalkSpec spec;
    spec.paths_help = "Trees to measure (default: .)";
    spec.one_file_system_help = "Count nothing on other file systems than each PATH's";
    spec.max_depth = false; // --max-depth is du's, --depth: the walk itself always goes to the bottom
    spec.follow = true;
    cli::add_walk_options(app, o.walk_args, spec);
    app.footer("See dirsize(1).");
}

std::optional<cli::Problem> finish(Options& o) {
    auto& r = o.raw;
    if (r.files && o.top == 0)
        return cli::Problem{"--files", "needs --top N"};
    if (o.top && o.depth >= 0)
        return cli::Problem{"--top", "cannot be combined with --depth"};
    if (r.summarize && r.all)
        return cli::Problem{"--summarize", "cannot be combined with --all (a total alone, or every entry)"};
    if (r.summarize && o.depth > 0)
        return cli::Problem{"--summarize", "cannot be combined with --depth " + std::to_string(o.depth)};
    if (r.all && o.top)
        return cli::Problem{"--all", "cannot be combined with --top (--top N --files lists files)"};
    if (r.block_size) {
        if (o.human || o.si)
            return cli::Problem{"--block-size", "cannot be combined with -h or --si"};
        auto b = parse_block_size(*r.block_size);
        if (!b)
            return cli::Problem{"--block-size",
                                "'" + *r.block_size + "' is not a block size (a number of bytes, 1K, 1M, M, KB, MiB)"};
        o.block = *b;
    } else if (r.apparent) {
        o.block.bytes = 1; // du -b: bytes
    }
    if (r.all && o.depth < 0)
        o.depth = INT_MAX; // du -a: every entry, at any depth
    o.tally.apparent = r.apparent;
    o.tally.all_entries = r.all;
    o.tally.per_directory = o.depth >= 0 || (o.top && !r.files);
    o.tally.largest_files = r.files ? o.top : 0;
    o.tally.one_file_system = o.walk_args.one_file_system;
    o.tally.follow = o.walk_args.follow;
    o.tally.remember_all = o.walk_args.roots.size() > 1;
    o.walk = o.walk_args.walk_options();
    return std::nullopt;
}

} // namespace syskit::dirsize
