// tmpdir: a scratch directory for one test, removed with everything in it.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <stdlib.h>
#include <sys/stat.h>

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "syskit-unit-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        // Tests chmod directories to 000; give them back before removing.
        for (auto it = std::filesystem::recursive_directory_iterator(
                 path, std::filesystem::directory_options::skip_permission_denied, ec);
             it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
            if (it->is_directory(ec) && !it->is_symlink(ec))
                ::chmod(it->path().c_str(), 0755);
        std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& rel) const { return (path / rel).string(); }
    void write(const std::string& rel, const std::string& content, mode_t mode = 0644) const {
        std::filesystem::create_directories((path / rel).parent_path());
        std::ofstream(path / rel, std::ios::binary) << content;
        ::chmod((path / rel).c_str(), mode);
    }
    void mkdir(const std::string& rel, mode_t mode = 0755) const {
        std::filesystem::create_directories(path / rel);
        ::chmod((path / rel).c_str(), mode);
    }
};
