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
#include <memory_resource>
#include <new>
#include <utility>
#include <vector>

namespace syskit::dupfind {

/// Blocks at least this large are mapped on their own, rounded up to huge pages; smaller ones
/// come from operator new, where a huge page would be mostly waste.  A huge page costs about
/// what 10 faults of 4 KiB pages do (0.25 ms against 23 us each, on the VM the benchmarks
/// ran on), so in time it pays from some 40 KiB on; from 256 KiB, it takes at most 8 times
/// the memory asked for.
inline constexpr std::size_t huge_min = std::size_t{256} << 10;

/// bytes of memory aligned to 16 bytes at least (to 2 MiB when bytes >= huge_min).  Throws
/// std::bad_alloc when none is left.
void* huge_allocate(std::size_t bytes);

/// Frees what huge_allocate(bytes) returned, given the same bytes.  A few huge pages are kept
/// mapped for the next blocks of one page.
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

/// Memory for many small objects made once and kept together (the finder's groups, their
/// files and names): handed out from huge pages by moving a pointer, given back all at once
/// when the arena goes.  Not for use from several threads at once.  The groups of the
/// corpus took some 1,500 faults of 4 KiB pages from malloc, most of what making them cost.
class HugeArena final : public std::pmr::memory_resource {
public:
    HugeArena() = default;
    HugeArena(const HugeArena&) = delete;
    HugeArena& operator=(const HugeArena&) = delete;
    ~HugeArena() override;

private:
    void* do_allocate(std::size_t bytes, std::size_t align) override;
    void do_deallocate(void*, std::size_t, std::size_t) override {}
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }

    std::vector<std::pair<void*, std::size_t>> blocks_;
    char* next_ = nullptr;
    std::size_t left_ = 0;
};

} // namespace syskit::dupfind
