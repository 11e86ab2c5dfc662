// usbtidy/rules: extensions, folders, the names left alone, collisions' names, rules files.
#include "usbtidy/rules.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::usbtidy;

TEST_CASE("usbtidy extensions: after the last dot, not a leading one, short and without spaces") {
    CHECK(extension_of("photo.JPG") == "JPG");
    CHECK(extension_of("archive.tar.gz") == "gz");
    CHECK(extension_of("README") == "");
    CHECK(extension_of("name.") == "");
    CHECK(extension_of(".profile") == "");
    CHECK(extension_of("report v1.2 final") == "");
    CHECK(extension_of("x.abcdefghijklmnopq") == "");
    CHECK(extension_of("x.abcdefghijklmnop") == "abcdefghijklmnop");
    CHECK(extension_of("bad\xff.p\xe9g") == "p\xe9g");
}

TEST_CASE("usbtidy's default rule: a folder per extension, in lower case; other/ without one") {
    Rules r;
    CHECK(r.folder_for("a.JPG") == "jpg");
    CHECK(r.folder_for("a.jpg") == "jpg");
    CHECK(r.folder_for("Makefile") == "other");
    CHECK(r.folder_for("x.P\xc3\x89G") == "p\xc3\x89g");
}

TEST_CASE("usbtidy leaves hidden names and system folders alone") {
    for (const char* n : {".Trashes", ".Spotlight-V100", ".fseventsd", ".usbtidy-journal", "System Volume Information",
                          "$RECYCLE.BIN"})
        CHECK_MESSAGE(left_alone(n), n);
    CHECK_FALSE(left_alone("photo.jpg"));
    CHECK_FALSE(left_alone("System Volume Information 2"));
}

TEST_CASE("usbtidy collisions get a counter before the extension") {
    CHECK(numbered_name("photo.jpg", 1) == "photo (1).jpg");
    CHECK(numbered_name("photo.tar.gz", 2) == "photo.tar (2).gz");
    CHECK(numbered_name("notes", 3) == "notes (3)");
}

TEST_CASE("usbtidy rules files map extensions to groups") {
    std::string why;
    auto r = Rules::parse("# groups\n"
                          "images: jpg .JPEG png\n"
                          "\n"
                          "documents:\tpdf txt\r\n"
                          "misc: *\n",
                          why);
    REQUIRE_MESSAGE(r, why);
    CHECK(r->folder_for("a.JPG") == "images");
    CHECK(r->folder_for("a.jpeg") == "images");
    CHECK(r->folder_for("b.pdf") == "documents");
    CHECK(r->folder_for("c.mp3") == "misc");
    CHECK(r->folder_for("Makefile") == "other");
    auto plain = Rules::parse("audio: mp3\n", why);
    REQUIRE(plain);
    CHECK(plain->folder_for("c.flac") == "other");
}

TEST_CASE("usbtidy rules files: each mistake named with its line") {
    struct Bad {
        const char* text;
        const char* why;
    };
    for (auto [text, want] : {
             Bad{"images jpg\n", "line 1: expected 'FOLDER: EXT EXT ...'"},
             Bad{"a: jpg\nb: JPG\n", "line 2: extension 'jpg' is already in group 'a'"},
             Bad{"../up: jpg\n", "line 1: '../up' is not a folder name (it has a '/')"},
             Bad{".hidden: jpg\n", "line 1: '.hidden' is hidden or a system folder, which usbtidy leaves alone"},
             Bad{": jpg\n", "line 1: a folder name is empty"},
             Bad{"a:\n", "line 1: group 'a' lists no extension"},
             Bad{"a: tar.gz\n", "line 1: 'tar.gz' is not an extension (1 to 16 bytes after the dot)"},
             Bad{"a: *\nb: *\n", "line 2: '*' is given twice"},
             Bad{"# nothing\n", "no group: the file maps no extension to a folder"},
         }) {
        std::string why;
        CHECK_FALSE(Rules::parse(text, why));
        CHECK(why == want);
    }
}
