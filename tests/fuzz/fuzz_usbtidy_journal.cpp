// Reading an untrusted journal (usbtidy undo DIR on any drive plugged in): a journal either
// is refused with a reason, or gives records whose names are single path components and
// that, written again, read back the same.
#include "usbtidy/journal.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace syskit::usbtidy;

namespace {
bool component(const std::string& s) {
    return !s.empty() && s.size() <= 255 && s != "." && s != ".." && s.find('/') == std::string::npos &&
           s.find('\0') == std::string::npos;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string why;
    auto p = parse_journal(in, why);
    if (!p)
        return why.empty() ? (std::abort(), 0) : 0;
    if (p->valid_size > size)
        std::abort();
    std::string again = header_line(p->fs_type);
    for (auto& r : p->records) {
        if (r.kind == Record::Kind::move && (!component(r.src) || !component(r.name) || !component(r.folder)))
            std::abort();
        if ((r.kind == Record::Kind::mkdir || r.kind == Record::Kind::exists) && !component(r.folder))
            std::abort();
        again += record_line(r);
    }
    auto q = parse_journal(again, why);
    if (!q || q->records != p->records || q->fs_type != p->fs_type || q->valid_size != again.size())
        std::abort();
    return 0;
}
