#include "huge.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <type_traits>

namespace syskit::dupfind {

namespace {

constexpr std::size_t huge_page = std::size_t{2} << 20;

std::size_t mapped_size(std::size_t bytes) { return (bytes + huge_page - 1) & ~(huge_page - 1); }

/// Huge pages given back, kept for the next blocks of one page: a page the kernel maps
/// afresh is cleared first, 2 MiB written, and a cached run frees the grouping's keys
/// just before it needs its hash state, and the lookup order before the order of the
/// runs.  At most kept_pages are kept (the rest are unmapped); trivially destructible, so
/// that memory freed during exit still finds it.
constexpr std::size_t kept_pages = 8;
struct Kept {
    std::mutex mu;
    void* pages[kept_pages];
    std::size_t count = 0;
};
static_assert(std::is_trivially_destructible_v<Kept>);
Kept kept;

} // namespace

void* huge_allocate(std::size_t bytes) {
    if (bytes < huge_min)
        return ::operator new(bytes);
    const std::size_t size = mapped_size(bytes);
    if (size == huge_page) {
        std::lock_guard lock(kept.mu);
        if (kept.count > 0)
            return kept.pages[--kept.count];
    }
    // A huge page needs a 2 MiB-aligned address: map one page more and trim both ends.
    void* p = mmap(nullptr, size + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = (start + huge_page - 1) & ~(std::uintptr_t{huge_page} - 1);
    if (aligned > start)
        munmap(p, aligned - start);
    if (const std::size_t tail = start + huge_page - aligned)
        munmap(reinterpret_cast<void*>(aligned + size), tail);
    madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE); // a hint: without it, 4 KiB pages
    return reinterpret_cast<void*>(aligned);
}

void huge_free(void* p, std::size_t bytes) noexcept {
    if (!p)
        return;
    if (bytes < huge_min) {
        ::operator delete(p);
        return;
    }
    char* page = static_cast<char*>(p);
    char* const end = page + mapped_size(bytes);
    {
        std::lock_guard lock(kept.mu);
        for (; page < end && kept.count < kept_pages; page += huge_page)
            kept.pages[kept.count++] = page;
    }
    if (page < end)
        munmap(page, static_cast<std::size_t>(end - page));
}

HugeArena::~HugeArena() {
    for (const auto& [p, bytes] : blocks_)
        huge_free(p, bytes);
}

void* HugeArena::do_allocate(std::size_t bytes, std::size_t align) {
    std::size_t pad = static_cast<std::size_t>(-reinterpret_cast<std::uintptr_t>(next_) & (align - 1));
    if (pad + bytes > left_) {
        const std::size_t n = std::max(huge_page, bytes + align);
        blocks_.reserve(blocks_.size() + 1); // so that the push_back below cannot throw
        next_ = static_cast<char*>(huge_allocate(n));
        blocks_.emplace_back(next_, n);
        left_ = n;
        pad = static_cast<std::size_t>(-reinterpret_cast<std::uintptr_t>(next_) & (align - 1));
    }
    void* p = next_ + pad;
    next_ += pad + bytes;
    left_ -= pad + bytes;
    return p;
}

} // namespace syskit::dupfind
