// pipekit/gather: records gathered for one writev(2), copied or left where they lie, come out
// as the frames or lines append_frame and a separator make.
#include "pipekit/gather.hpp"

#include "fs/fd.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

using namespace syskit::pipekit;

namespace {
/// What g.flush writes, read back through a pipe.
std::string flushed(Gather& g) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    syskit::fs::UniqueFd r(fds[0]), w(fds[1]);
    // Larger than the 64 KiB pipe: flush would wait for a reader.
    REQUIRE(g.bytes() <= 65536);
    REQUIRE(g.flush(w.get()));
    w.reset();
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(r.get(), buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<std::size_t>(n));
    return out;
}
} // namespace

TEST_CASE("pipekit gather: frames, small ones copied and large ones in place, equal append_frame's") {
    const std::vector<std::string> records = {"", "one", std::string("nul\0and\nnewline", 15), std::string(5000, 'x'),
                                              "", std::string(3000, 'y'), "last"};
    Gather g(true, '\n', 65536);
    std::string want;
    for (std::size_t i = 0; i < records.size(); i++) {
        REQUIRE(g.fits(records[i].size()));
        if (i % 2)
            g.add_copy(records[i]);
        else
            g.add(records[i]);
        append_frame(want, records[i]);
    }
    CHECK(g.records() == records.size());
    CHECK(g.bytes() == want.size());
    CHECK(flushed(g) == want);
    // Empty again, and reusable.
    CHECK(g.records() == 0);
    g.add("again");
    std::string again;
    append_frame(again, "again");
    CHECK(flushed(g) == again);
}

TEST_CASE("pipekit gather: lines followed by their separator in the input go out as they lie") {
    const std::string input = "alpha\nbeta\n" + std::string(4000, 'z') + "\nno end";
    Gather g(false, '\n', 65536);
    g.add(std::string_view(input).substr(0, 5), true);
    g.add(std::string_view(input).substr(6, 4), true);
    g.add(std::string_view(input).substr(11, 4000), true);
    g.add(std::string_view(input).substr(4012), false);
    g.add_copy("copied");
    const std::string long_line(3000, 'w'); // added where it lies: it must outlive the flush
    g.add(long_line);
    CHECK(flushed(g) == input + "\ncopied\n" + long_line + "\n");
}

TEST_CASE("pipekit gather: fits keeps a flush within its limit, but takes one long record alone") {
    Gather g(true, '\n', 64);
    CHECK(g.fits(1000)); // empty: anything, alone
    g.add_copy(std::string(40, 'a'));
    CHECK(g.fits(16));
    CHECK_FALSE(g.fits(17)); // 44 + 4 + 17 > 64
    Gather big(true, '\n', 64);
    big.add_copy(std::string(1000, 'b'));
    std::string want;
    append_frame(want, std::string(1000, 'b'));
    CHECK(flushed(big) == want);
}

TEST_CASE("pipekit gather: records built in its room go out between the others, the room ends at the limit") {
    Gather g(true, '\n', 1000);
    std::string want;
    g.add("before");
    append_frame(want, "before");
    auto room = g.room();
    REQUIRE(room.size == 1000 - (frame_header + 6));
    // Two frames built in place, as RecordReader's bulk copy makes them.
    std::string built;
    append_frame(built, "built one");
    append_frame(built, "two");
    std::memcpy(room.data, built.data(), built.size());
    g.built(built.size(), 2);
    want += built;
    const std::string large(3000, 'z');
    g.add(large);
    append_frame(want, large);
    CHECK(g.records() == 4);
    CHECK(g.bytes() == want.size());
    CHECK(g.room().size == 0);
    CHECK(flushed(g) == want);
    CHECK(g.room().size == 1000);
}

TEST_CASE("pipekit gather: borrows only while a record added in place waits to be flushed") {
    Gather g(true, '\n', 65536);
    g.add("small, copied");
    g.add_copy(std::string(3000, 'c'));
    CHECK_FALSE(g.borrows()); // all copies: the caller may reuse its bytes before the flush
    const std::string large(3000, 'l');
    g.add(large);
    CHECK(g.borrows());
    flushed(g);
    CHECK_FALSE(g.borrows());
    Gather lines(false, '\n', 65536);
    const std::string input = "a line\n";
    lines.add(std::string_view(input).substr(0, 6), true);
    CHECK(lines.borrows());
}
