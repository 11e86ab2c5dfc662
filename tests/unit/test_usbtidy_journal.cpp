// usbtidy/journal: records written and read back byte for byte, cut-short tails dropped,
// corrupt and foreign journals refused.
#include "usbtidy/journal.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <zlib.h>

#include <string>

using namespace syskit::usbtidy;

namespace {

Record move(std::string src, std::string folder, std::string name) {
    Record r;
    r.kind = Record::Kind::move;
    r.src = std::move(src);
    r.folder = std::move(folder);
    r.name = std::move(name);
    r.size = 12345;
    r.mtime = 1700000000;
    return r;
}

Record folder(Record::Kind kind, std::string f) {
    Record r;
    r.kind = kind;
    r.folder = std::move(f);
    return r;
}

std::string sample() {
    return header_line(0x4d44) + record_line(folder(Record::Kind::run, "")) +
           record_line(folder(Record::Kind::mkdir, "jpg")) +
           record_line(move("new\nline \xff\\.jpg", "jpg", "new\nline \xff\\ (1).jpg")) +
           record_line(folder(Record::Kind::exists, "txt"));
}

} // namespace

TEST_CASE("usbtidy journals read back what was written, odd names included") {
    std::string why;
    auto p = parse_journal(sample(), why);
    REQUIRE_MESSAGE(p, why);
    CHECK(p->fs_type == 0x4d44);
    REQUIRE(p->records.size() == 4);
    CHECK(p->records[0].kind == Record::Kind::run);
    CHECK(p->records[1] == folder(Record::Kind::mkdir, "jpg"));
    CHECK(p->records[2] == move("new\nline \xff\\.jpg", "jpg", "new\nline \xff\\ (1).jpg"));
    CHECK(p->records[3] == folder(Record::Kind::exists, "txt"));
    CHECK(p->valid_size == sample().size());
    // One record a line: the newline, the space and the backslash are escaped.
    CHECK(record_line(move("a\nb", "c d", "e\\f")).find("a\\x0ab c\\x20d e\\x5cf #") != std::string::npos);
}

TEST_CASE("usbtidy journals: a last line cut short by a crash is dropped") {
    std::string full = sample();
    std::string why;
    std::string cut = full.substr(0, full.size() - 5);
    auto p = parse_journal(cut, why);
    REQUIRE_MESSAGE(p, why);
    CHECK(p->records.size() == 3);
    CHECK(p->valid_size == full.size() - record_line(folder(Record::Kind::exists, "txt")).size());
    // A flash drive pulled mid-write can leave zeros where the last batch should be.
    auto zeros = parse_journal(full + std::string(512, '\0'), why);
    REQUIRE(zeros);
    CHECK(zeros->records.size() == 4);
    CHECK(zeros->valid_size == full.size());
    // A complete last line with a wrong checksum: half of it reached the drive.
    std::string torn = full;
    torn[torn.size() - 4] = torn[torn.size() - 4] == '0' ? '1' : '0';
    auto t = parse_journal(torn, why);
    REQUIRE(t);
    CHECK(t->records.size() == 3);
}

TEST_CASE("usbtidy journals: foreign and corrupt ones are refused") {
    std::string why;
    CHECK_FALSE(parse_journal("", why));
    CHECK(why == "not a usbtidy journal");
    CHECK_FALSE(parse_journal("#!/bin/sh\nrm -rf /\n", why));
    CHECK(why == "not a usbtidy journal");
    std::string v1 = header_line(1);
    v1[v1.size() - 3] = v1[v1.size() - 3] == 'a' ? 'b' : 'a';
    CHECK_FALSE(parse_journal(v1, why));
    CHECK(why == "line 1: bad checksum");
    std::string v2 = "usbtidy-journal 2 fs=1";
    v2 += fmt::format(" #{:08x}\n", ::crc32(0, reinterpret_cast<const Bytef*>(v2.data()), v2.size()));
    CHECK_FALSE(parse_journal(v2, why));
    CHECK(why == "line 1: journal version '2' is not one this usbtidy reads");

    // A damaged line followed by good ones is corruption, not a crash's tail.
    std::string bad = sample();
    auto at = bad.find("mkdir jpg");
    bad[at + 6] = 'J';
    CHECK_FALSE(parse_journal(bad, why));
    CHECK(why == "line 3: bad checksum");

    // Well sealed, but naming a path outside the directory: refused.
    std::string escape = header_line(1);
    escape += record_line(folder(Record::Kind::run, ""));
    auto sealed = record_line(move("a", "jpg", "x"));
    CHECK(parse_journal(escape + sealed + record_line(folder(Record::Kind::mkdir, "..")) + sealed, why) ==
          std::nullopt);
    CHECK(why == "line 4: field 2 is not an escaped file name");
}
