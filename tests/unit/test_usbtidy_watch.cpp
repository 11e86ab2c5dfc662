// usbtidy/watch: which drives watch selects, and what the notification says.
#include "usbtidy/options.hpp"
#include "usbtidy/watch.hpp"

#include "usbtidy_stick.hpp"

#include <doctest/doctest.h>

using namespace syskit::usbtidy;

using syskit::usbtidy::test::stick;

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
