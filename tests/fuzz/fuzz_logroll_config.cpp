// Parsing an untrusted logroll configuration (logrotate's block syntax): no crash on any
// bytes, every accepted block has patterns, and what to_text writes of a block parses back,
// with no error, to a block that to_text writes the same way (comments aside).
#include "logroll/config.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace syskit::logroll::config;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    Config cfg;
    Directives defaults;
    parse(in, "fuzz", defaults, cfg);
    for (const auto& b : cfg.blocks) {
        if (b.patterns.empty())
            std::abort();
        // A pattern or script holding what the syntax cannot quote (both quote marks, a line
        // that is "endscript") cannot be written back; everything else must round-trip.
        bool writable = true;
        for (const auto& p : b.patterns)
            writable = writable && !p.empty() && !(p.find('"') != std::string::npos && p.find('\'') != std::string::npos);
        for (const std::string* s : {&b.d.prerotate, &b.d.postrotate, &b.d.firstaction, &b.d.lastaction})
            writable = writable && s->find("endscript") == std::string::npos;
        for (const std::string* s : {&b.d.olddir, &b.d.su_user, &b.d.su_group, &b.d.create_owner, &b.d.create_group})
            writable = writable && !(s->find('"') != std::string::npos && s->find('\'') != std::string::npos);
        if (!writable)
            continue;
        // Comments are what the parse said of the input, not part of the block.
        Block plain = b;
        plain.comments.clear();
        std::string text = to_text(plain);
        Config again;
        Directives d2;
        parse(text, "again", d2, again);
        if (!again.errors.empty() || again.blocks.size() != 1)
            std::abort();
        again.blocks[0].comments.clear();
        if (to_text(again.blocks[0]) != text)
            std::abort();
    }
    return 0;
}
