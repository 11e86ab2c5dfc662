// cachenode's shared secret: auth.cpp's Auth and read_token().
#include "cachenode/auth.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace syskit::cachenode;

TEST_CASE("cachenode auth: the password, and no password") {
    Auth none("");
    CHECK_FALSE(none.required());
    CHECK(none.check("anything"));
    Auth a("s3cret");
    CHECK(a.required());
    CHECK(a.check("s3cret"));
    CHECK_FALSE(a.check("s3cre"));
    CHECK_FALSE(a.check("s3cret "));
    CHECK_FALSE(a.check(""));
}

TEST_CASE("cachenode auth: read_token takes the file without its final newline") {
    TempDir t;
    std::string token, error;
    t.write("crlf", "from-a-file\r\n");
    CHECK(read_token(t / "crlf", token, error));
    CHECK(token == "from-a-file");
    t.write("inner", "two\nlines\n\n");
    CHECK(read_token(t / "inner", token, error));
    CHECK(token == "two\nlines");
    t.write("largest", std::string(4096, 'x'));
    CHECK(read_token(t / "largest", token, error));
    CHECK(token.size() == 4096);

    t.write("large", std::string(4097, 'x'));
    CHECK_FALSE(read_token(t / "large", token, error));
    CHECK(error == "the token file is larger than 4096 bytes");
    t.write("blank", "\n");
    CHECK_FALSE(read_token(t / "blank", token, error));
    CHECK(error == "the token file is empty");
    CHECK_FALSE(read_token(t / "missing", token, error));
    CHECK(error == "No such file or directory");
}
