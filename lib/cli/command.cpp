#include "cli/command.hpp"

#include <CLI/CLI.hpp>

namespace syskit::cli {

namespace {

/// Whether the option takes a value: CLI11 treats one that expects no item as a flag.
bool takes_value(const CLI::Option* o) { return o != nullptr && o->get_items_expected_max() > 0; }

Command cut(int argc, char** argv, int own, int command, bool found) {
    Command c;
    c.argc = own;
    c.found = found;
    for (int i = command; i < argc; ++i)
        c.argv.emplace_back(argv[i]);
    return c;
}

} // namespace

int first_operand(const CLI::App& app, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--")
            return i + 1 < argc ? i + 1 : argc;
        if (a.size() < 2 || a[0] != '-')
            return i;
        if (a[1] == '-') {
            std::size_t eq = a.find('=');
            if (eq == std::string_view::npos && takes_value(app.get_option_no_throw(std::string(a))))
                ++i;
            continue;
        }
        // A cluster of short options ("-sn", "-w5", "-nw" "5"): the first that takes a value
        // takes the rest of the cluster, or the next argument when the cluster ends there.
        for (std::size_t k = 1; k < a.size(); ++k) {
            if (takes_value(app.get_option_no_throw(std::string("-") + a[k]))) {
                if (k + 1 == a.size())
                    ++i;
                break;
            }
        }
    }
    return argc;
}

Command command_after_operand(const CLI::App& app, int argc, char** argv) {
    int operand = first_operand(app, argc, argv);
    if (operand >= argc)
        return cut(argc, argv, argc, argc, false);
    return cut(argc, argv, operand + 1, operand + 1, true);
}

Command command_after(std::string_view marker, int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (argv[i] == marker)
            return cut(argc, argv, i, i + 1, true);
    return cut(argc, argv, argc, argc, false);
}

} // namespace syskit::cli
