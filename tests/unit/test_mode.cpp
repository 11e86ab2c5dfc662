#include "fs/mode.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

using syskit::fs::mode_octal;
using syskit::fs::mode_string;

TEST_CASE("mode_string shows what ls -l shows") {
    CHECK(mode_string(S_IFREG | 0644) == "-rw-r--r--");
    CHECK(mode_string(S_IFREG | 04755) == "-rwsr-xr-x");
    CHECK(mode_string(S_IFREG | 04644) == "-rwSr--r--");
    CHECK(mode_string(S_IFREG | 02755) == "-rwxr-sr-x");
    CHECK(mode_string(S_IFREG | 02644) == "-rw-r-Sr--");
    CHECK(mode_string(S_IFDIR | 01777) == "drwxrwxrwt");
    CHECK(mode_string(S_IFDIR | 01776) == "drwxrwxrwT");
    CHECK(mode_string(S_IFLNK | 0777) == "lrwxrwxrwx");
    CHECK(mode_string(S_IFCHR | 0600) == "crw-------");
    CHECK(mode_string(S_IFBLK | 0660) == "brw-rw----");
    CHECK(mode_string(S_IFIFO | 0644) == "prw-r--r--");
    CHECK(mode_string(S_IFSOCK | 0755) == "srwxr-xr-x");
    CHECK(mode_string(S_IFREG) == "----------");
}

TEST_CASE("mode_octal gives chmod's four digits") {
    CHECK(mode_octal(S_IFREG | 0644) == "0644");
    CHECK(mode_octal(S_IFREG | 04755) == "4755");
    CHECK(mode_octal(S_IFDIR | 01777) == "1777");
    CHECK(mode_octal(S_IFREG) == "0000");
}
