#include "huge.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>

namespace syskit::dupfind {

namespace {

constexpr std::size_t huge_page = std::size_t{2} << 20;

std::size_t mapped_size(std::size_t bytes) { return (bytes + huge_page - 1) & ~(huge_page - 1); }

} // namespace

void* huge_allocate(std::size_t bytes) {
    if (bytes < huge_min)
        return ::operator new(bytes);
    const std::size_t size = mapped_size(bytes);
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
    if (bytes < huge_min)
        ::operator delete(p);
    else
        munmap(p, mapped_size(bytes));
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
