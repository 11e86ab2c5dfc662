// pipekit/records: lines and length-prefixed frames cut out of a stream that comes in pieces.
#include "pipekit/records.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using namespace syskit::pipekit;

namespace {
/// Feeds stream to r in pieces of step bytes; the records it gives, and the last Next seen.
std::vector<std::string> cut(RecordReader& r, const std::string& stream, std::size_t step,
                             RecordReader::Next* last = nullptr) {
    std::vector<std::string> out;
    RecordReader::Next next = RecordReader::Next::more;
    for (std::size_t at = 0; at < stream.size(); at += step) {
        auto space = r.space();
        std::size_t n = std::min({step, stream.size() - at, space.size});
        std::memcpy(space.data, stream.data() + at, n);
        r.commit(n);
        std::string_view rec;
        while ((next = r.next(rec)) == RecordReader::Next::record)
            out.emplace_back(rec);
        if (next == RecordReader::Next::too_long)
            break;
    }
    if (last)
        *last = next;
    return out;
}
using V = std::vector<std::string>;
} // namespace

TEST_CASE("pipekit frames round-trip whatever bytes they hold, however the stream is cut") {
    V records = {"", "one", std::string("nul\0and\nnewline", 15), std::string(70000, 'x'), "last"};
    std::string stream;
    for (auto& r : records)
        append_frame(stream, r);
    CHECK(stream.substr(0, 4) == std::string("\0\0\0\0", 4));
    CHECK(stream.substr(4, 4) == std::string("\0\0\0\3", 4));
    for (std::size_t step : {1, 3, 4096, 1 << 20}) {
        RecordReader r(true, '\n', 1 << 20);
        CHECK(cut(r, stream, step) == records);
        CHECK(r.pending() == 0);
    }
}

TEST_CASE("pipekit a frame cut short is pending, a frame too long is refused before it is read") {
    std::string stream;
    append_frame(stream, "whole");
    append_frame(stream, "cut short");
    stream.resize(stream.size() - 3);
    RecordReader r(true, '\n', 100);
    CHECK(cut(r, stream, 7) == V{"whole"});
    CHECK(r.pending() == 4 + 6);

    RecordReader small(true, '\n', 4);
    std::string big;
    append_frame(big, "fine");
    append_frame(big, "too long");
    RecordReader::Next last;
    CHECK(cut(small, big, 100, &last) == V{"fine"});
    CHECK(last == RecordReader::Next::too_long);
    CHECK(small.too_long_size() == 8);

    RecordReader huge(true, '\n', 1 << 20);
    CHECK(cut(huge, std::string("\xff\xff\xff\xff", 4), 4, &last).empty());
    CHECK(last == RecordReader::Next::too_long);
    CHECK(huge.too_long_size() == 0xffffffffu);
}

TEST_CASE("pipekit lines end at the separator; the rest is taken at the end") {
    RecordReader r(false, '\n', 1 << 20);
    CHECK(cut(r, "a\n\nbc\nunfinished", 2) == V{"a", "", "bc"});
    CHECK(r.pending() == 10);
    CHECK(r.take_rest() == "unfinished");
    CHECK(r.pending() == 0);

    RecordReader nul(false, '\0', 10);
    CHECK(cut(nul, std::string("x\ny\0z\0", 6), 1) == V{"x\ny", "z"});

    RecordReader::Next last;
    RecordReader limited(false, '\n', 4);
    CHECK(cut(limited, "1234\n12345\n", 3, &last) == V{"1234"});
    CHECK(last == RecordReader::Next::too_long);
}

TEST_CASE("pipekit a long stream goes through a buffer of bounded size") {
    std::string stream;
    for (int i = 0; i < 100000; ++i)
        append_frame(stream, std::string(static_cast<std::size_t>(i % 200), 'a' + i % 26));
    RecordReader r(true, '\n', 1024);
    auto got = cut(r, stream, 65536);
    REQUIRE(got.size() == 100000);
    CHECK(got[99999] == std::string(99999 % 200, 'a' + 99999 % 26));
}

namespace {
/// Feeds stream to r in pieces of step bytes, taking records with the bulk copy (frames when
/// to_frames, else lines) into a room of room bytes, and one at a time with next() where it
/// stops, as send and recv do; the bytes the records make on the other side, and the records
/// next() handed out.
std::string bulk(RecordReader& r, const std::string& stream, std::size_t step, std::size_t room, bool to_frames,
                 std::string_view stop, V& single) {
    std::string out;
    std::vector<char> buf(room + RecordReader::slack);
    for (std::size_t at = 0; at < stream.size(); at += step) {
        auto space = r.space();
        std::size_t n = std::min({step, stream.size() - at, space.size});
        std::memcpy(space.data, stream.data() + at, n);
        r.commit(n);
        for (;;) {
            auto c = to_frames ? r.copy_lines_as_frames(stop, buf.data(), room)
                               : r.copy_frames_as_lines(stop, buf.data(), room);
            out.append(buf.data(), c.bytes);
            std::string_view rec;
            if (r.next(rec) != RecordReader::Next::record)
                break;
            single.emplace_back(rec);
            if (to_frames)
                append_frame(out, rec);
            else
                out.append(rec).push_back('\n');
        }
    }
    return out;
}
} // namespace

TEST_CASE("pipekit bulk copies frame lines and unframe frames as next() does, stopping where it must") {
    // Lines of every length around the block sizes the copies use, one longer than room.
    V lines;
    for (std::size_t n : {0, 1, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 300, 511, 512, 513, 5000, 3})
        lines.push_back(std::string(n, static_cast<char>('a' + n % 26)));
    lines.push_back("EOD");
    lines.push_back("after");
    std::string text, frames;
    for (auto& l : lines) {
        text += l + "\n";
        append_frame(frames, l);
    }
    for (std::size_t step : {1, 7, 64, 4096, 1 << 20}) {
        CAPTURE(step);
        V single;
        RecordReader lr(false, '\n', 1 << 20);
        CHECK(bulk(lr, text, step, 4096, true, "EOD", single) == frames);
        // What the copy left to next(): the record equal to stop, and the one too big for room.
        CHECK(std::count(single.begin(), single.end(), "EOD") == 1);
        CHECK(std::count(single.begin(), single.end(), std::string(5000, 'a' + 5000 % 26)) == 1);
        single.clear();
        RecordReader fr(true, '\n', 1 << 20);
        CHECK(bulk(fr, frames, step, 4096, false, "EOD", single) == text);
        CHECK(std::count(single.begin(), single.end(), "EOD") == 1);
    }
    // A record longer than max_record is left to next(), which says so.
    RecordReader lr(false, '\n', 10);
    std::string line = "short\n" + std::string(20, 'x') + "\n";
    auto space = lr.space();
    std::memcpy(space.data, line.data(), line.size());
    lr.commit(line.size());
    std::vector<char> buf(4096 + RecordReader::slack);
    auto c = lr.copy_lines_as_frames("EOD", buf.data(), 4096);
    CHECK(c.records == 1);
    CHECK(c.bytes == 4 + 5);
    std::string_view rec;
    CHECK(lr.next(rec) == RecordReader::Next::too_long);
}
