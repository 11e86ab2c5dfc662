// huge: memory for dupfind's large arrays (the walk's records, the grouping's keys, the hash
// state, the cache's records) in 2 MiB pages where the kernel gives them.
//
// A run over 100,000 files writes about 20 MiB of such arrays once each.  In 4 KiB pages that
// is some 5,000 page faults, and on a virtual machine with shadow page tables a fault costs
// tens of microseconds: more than dupfind's whole walk spends above the floor's system
// calls.  Mapped with madvise(MADV_HUGEPAGE) (transparent huge pages in "madvise" or
// "always" mode), 2 MiB take one fault.  Where the kernel gives no huge page, the mapping
// works as any other.
#pragma once

#include <cstddef>
#include <new>

namespace syskit::dupfind {

/// Blocks at least this large are mapped on their own, rounded up to huge pages; smaller ones
/// come from operator new, where a huge page would be mostly waste.
inline constexpr std::size_t huge_min = std::size_t{512} << 10;

/// bytes of memory aligned to 16 bytes at least (to 2 MiB when bytes >= huge_min).  Throws
/// std::bad_alloc when none is left.
void* huge_allocate(std::size_t bytes);

/// Frees what huge_allocate(bytes) returned, given the same bytes.
void huge_free(void* p, std::size_t bytes) noexcept;

/// The allocator of std::vector and std::basic_string over huge_allocate.
template <class T> struct HugeAllocator {
    using value_type = T;
    HugeAllocator() = default;
    template <class U> HugeAllocator(const HugeAllocator<U>&) {}
    T* allocate(std::size_t n) {
        if (n > static_cast<std::size_t>(-1) / sizeof(T))
            throw std::bad_array_new_length();
        return static_cast<T*>(huge_allocate(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { huge_free(p, n * sizeof(T)); }
    template <class U> bool operator==(const HugeAllocator<U>&) const { return true; }
};

} // namespace syskit::dupfind
