// Parsing untrusted inotify event records (notify::parse_records): whatever the bytes, no crash
// and no read outside them.  The bytes are copied to a heap block of exactly their size, so
// that AddressSanitizer reports a read even one byte past the end (replay.cpp's buffer has
// room behind it).  Also runs parse_events on the bytes as an -e list.
#include "notify/inotify.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::unique_ptr<char[]> buf(new char[size ? size : 1]);
    std::memcpy(buf.get(), data, size);
    const char* begin = buf.get();
    const char* end = begin + size;
    const char* last = begin; // where the previous record's name ended
    std::size_t records = 0;
    volatile unsigned sum = 0;
    bool ok = syskit::notify::parse_records(begin, size, [&](const syskit::notify::RawEvent& e) {
        ++records;
        if (!e.name.empty()) {
            // A name lies inside the buffer, after its record's header, after the previous one.
            if (e.name.data() < last + sizeof(struct inotify_event) || e.name.data() + e.name.size() > end)
                std::abort();
            if (std::memchr(e.name.data(), '\0', e.name.size()))
                std::abort(); // the padding is not part of the name
            for (char c : e.name)
                sum = sum + static_cast<unsigned char>(c); // touch every byte: ASan checks each
            last = e.name.data() + e.name.size();
        }
        if ((e.mask & IN_ALL_EVENTS) && syskit::notify::mask_names(e.mask).empty())
            std::abort(); // a known event bit always has a name
    });
    // A buffer of whole records parses to the end; fewer bytes than one header cannot.
    if (ok && size > 0 && records == 0)
        std::abort();
    if (size > 0 && size < sizeof(struct inotify_event) && ok)
        std::abort();

    std::string bad;
    std::string_view list(reinterpret_cast<const char*>(data), size);
    std::uint32_t mask = syskit::notify::parse_events(list, bad);
    if (mask != 0 && !bad.empty())
        std::abort();
    // Every event a watch can ask for, and "unmount", which the kernel reports unasked.
    if ((mask & ~static_cast<std::uint32_t>(IN_ALL_EVENTS | IN_UNMOUNT)) != 0)
        std::abort();
    return 0;
}
