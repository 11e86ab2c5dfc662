#include "permscan/checks.hpp"
#include "permscan/fix.hpp"
#include "fs/fd.hpp"

#include "tmpdir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <mutex>

using namespace syskit;
using namespace syskit::permscan;

namespace {

std::vector<Finding> scan(const std::string& root) {
    ScanOptions opt;
    opt.roots = {root};
    opt.absolute_roots = {root};
    for (std::size_t i = 0; i < check_count; ++i)
        opt.enabled[i] = info(static_cast<Check>(i)).by_default;
    Owners owners;
    std::vector<Finding> found;
    std::mutex mu;
    fs::WalkOptions w;
    w.roots = {root};
    w.flags = fs::walk_stat;
    fs::walk(w, [&](const fs::Entry& e) {
        std::vector<Finding> local;
        inspect(opt, owners, e, local);
        std::lock_guard lock(mu);
        for (auto& f : local)
            found.push_back(std::move(f));
        return fs::Action::next;
    });
    return found;
}

const Finding& only(const std::vector<Finding>& found, Check c) {
    REQUIRE(found.size() == 1);
    CHECK(found[0].check == c);
    return found[0];
}

mode_t mode_of(const std::string& path) {
    struct stat st;
    REQUIRE(lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

} // namespace

TEST_CASE("a finding's fix is applied through the scanned inode") {
    TempDir t;
    t.write("tree/open", "x", 0666);
    auto found = scan(t / "tree");
    const Finding& f = only(found, Check::world_writable_file);
    CHECK(f.rel == "open");
    auto change = change_for(f, false);
    REQUIRE(change);
    CHECK(change_command(*change, f.path) == "chmod o-w " + f.path);

    fs::UniqueFd root(open((t / "tree").c_str(), O_PATH | O_DIRECTORY));
    std::string why;
    mode_t from = 0, to = 0;
    CHECK(apply_change(root.get(), f, *change, from, to, why) == ApplyResult::changed);
    CHECK(from == 0666);
    CHECK(to == 0664);
    CHECK(mode_of(t / "tree/open") == 0664);
    CHECK(apply_change(root.get(), f, *change, from, to, why) == ApplyResult::unchanged);
}

TEST_CASE("a symlink swapped in between scan and fix is not followed") {
    TempDir t;
    t.write("tree/open", "x", 0666);
    t.write("outside", "x", 0666);
    auto found = scan(t / "tree");
    const Finding& f = only(found, Check::world_writable_file);

    REQUIRE(unlink((t / "tree/open").c_str()) == 0);
    REQUIRE(symlink((t / "outside").c_str(), (t / "tree/open").c_str()) == 0);

    fs::UniqueFd root(open((t / "tree").c_str(), O_PATH | O_DIRECTORY));
    std::string why;
    mode_t from = 0, to = 0;
    CHECK(apply_change(root.get(), f, *change_for(f, false), from, to, why) == ApplyResult::failed);
    CHECK(why.find("symbolic link") != std::string::npos);
    CHECK(mode_of(t / "outside") == 0666);
}

TEST_CASE("a parent directory swapped for a symlink is not followed") {
    TempDir t;
    t.write("tree/sub/open", "x", 0666);
    t.write("elsewhere/open", "x", 0666);
    auto found = scan(t / "tree");
    const Finding& f = only(found, Check::world_writable_file);

    REQUIRE(rename((t / "tree/sub").c_str(), (t / "moved").c_str()) == 0);
    REQUIRE(symlink((t / "elsewhere").c_str(), (t / "tree/sub").c_str()) == 0);

    fs::UniqueFd root(open((t / "tree").c_str(), O_PATH | O_DIRECTORY));
    std::string why;
    mode_t from = 0, to = 0;
    CHECK(apply_change(root.get(), f, *change_for(f, false), from, to, why) == ApplyResult::failed);
    CHECK(mode_of(t / "elsewhere/open") == 0666);
}

TEST_CASE("a file replaced by another after the scan is not changed") {
    TempDir t;
    t.write("tree/open", "x", 0666);
    auto found = scan(t / "tree");
    const Finding& f = only(found, Check::world_writable_file);
    // Keep the old inode alive so the new file cannot reuse its number.
    REQUIRE(rename((t / "tree/open").c_str(), (t / "old").c_str()) == 0);
    t.write("tree/open", "y", 0666);

    fs::UniqueFd root(open((t / "tree").c_str(), O_PATH | O_DIRECTORY));
    std::string why;
    mode_t from = 0, to = 0;
    CHECK(apply_change(root.get(), f, *change_for(f, false), from, to, why) == ApplyResult::failed);
    CHECK(why.find("replaced") != std::string::npos);
    CHECK(mode_of(t / "tree/open") == 0666);
}

TEST_CASE("fix rules: keys 600, .ssh 700, set-id only when asked") {
    TempDir t;
    t.write("tree/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n", 0644);
    auto found = scan(t / "tree");
    const Finding& key = only(found, Check::exposed_secret);
    auto cmd = [](const std::optional<Change>& c) { return change_command(*c, "p"); };
    CHECK(cmd(change_for(key, false)) == "chmod 600 p");

    Finding ssh = key;
    ssh.mode = S_IFDIR | 02755;
    CHECK(cmd(change_for(ssh, false)) == "chmod 700 p");
    CHECK(changed_mode(*change_for(ssh, false), ssh.mode) == 02700); // as chmod 700 keeps a dir's set-id

    Finding suid = key;
    suid.check = Check::setuid;
    CHECK_FALSE(change_for(suid, false).has_value());
    CHECK(cmd(change_for(suid, true)) == "chmod u-s p");

    Finding dangling = key;
    dangling.check = Check::dangling_symlink;
    CHECK_FALSE(change_for(dangling, true).has_value());

    CHECK(change_command(*change_for(key, false), "-odd name") == "chmod 600 -- '-odd name'");
}

TEST_CASE("several findings on one path merge into one chmod") {
    Finding f;
    f.mode = S_IFREG | 04777;
    f.check = Check::world_writable_file;
    Change c = *change_for(f, true);
    f.check = Check::writable_executable;
    c = merge(c, *change_for(f, true));
    CHECK(change_command(c, "p") == "chmod go-w p");
    CHECK(changed_mode(c, f.mode) == 04755);
    f.check = Check::setuid;
    c = merge(c, *change_for(f, true));
    CHECK(change_command(c, "p") == "chmod u-s,go-w p");
    CHECK(changed_mode(c, f.mode) == 0755);

    f.check = Check::exposed_secret;
    Change key = merge(*change_for(f, false), Change{S_IWOTH, 0});
    CHECK(change_command(key, "p") == "chmod 600 p");
    CHECK(changed_mode(key, S_IFREG | 0666) == 0600);
}
