// usbtidy/watch: which drives watch selects, and what the notification says.
#include "usbtidy/options.hpp"
#include "usbtidy/watch.hpp"

#include <doctest/doctest.h>

using namespace syskit::usbtidy;

namespace {
Device stick(std::string type, std::string fs, std::string usage = "filesystem") {
    Device d;
    d.node = "/dev/sdb1";
    d.type = std::move(type);
    d.fs_type = std::move(fs);
    d.fs_usage = std::move(usage);
    d.label = "MY STICK";
    d.uuid = "1234-ABCD";
    return d;
}
} // namespace

TEST_CASE("usbtidy watch selects by exact label, UUID in any case, or any") {
    Options o;
    o.label = "MY STICK";
    CHECK(selected(o, stick("partition", "vfat")));
    o.label = "my stick";
    CHECK_FALSE(selected(o, stick("partition", "vfat")));
    o.label.clear();
    o.uuid = "1234-abcd";
    CHECK(selected(o, stick("partition", "vfat")));
    o.uuid.clear();
    o.any = true;
    CHECK(selected(o, stick("disk", "vfat")));
    CHECK_FALSE(selected(o, stick("disk", "")));
}

TEST_CASE("usbtidy's notification text names the largest folders") {
    Tally t;
    CHECK(t.summary() == "nothing to tidy");
    for (const char* f : {"jpg", "txt", "jpg", "pdf", "mp3", "jpg", "txt"})
        t.add(f);
    CHECK(t.summary() == "7 files moved: 3 to jpg, 2 to txt, 1 to pdf and 1 more folder");
    t.problems = 2;
    t.stopped = true;
    CHECK(t.summary() == "7 files moved: 3 to jpg, 2 to txt, 1 to pdf and 1 more folder; 2 problems; "
                         "stopped early (run usbtidy undo to put it back)");
    Tally one;
    one.add("other");
    CHECK(one.summary() == "1 file moved: 1 to other");
}
