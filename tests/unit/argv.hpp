// argv: a command line as main() receives it, for the tests of options and their finish().
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace syskit::test {

/// name and args as argc and argv; the strings live as long as the Argv.
class Argv {
public:
    Argv(std::string name, std::vector<std::string> args) : strings_(std::move(args)) {
        strings_.insert(strings_.begin(), std::move(name));
        for (auto& s : strings_)
            pointers_.push_back(s.data());
    }
    int argc() const { return static_cast<int>(pointers_.size()); }
    char** argv() { return pointers_.data(); }

private:
    std::vector<std::string> strings_;
    std::vector<char*> pointers_;
};

} // namespace syskit::test
