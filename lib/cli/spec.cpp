#include "cli/spec.hpp"
#include "cli/values.hpp"

namespace syskit::cli {

namespace {

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\t' || c == '\n')
            c = ' ';
    return text;
}

} // namespace

std::string options_spec(CLI::App& app) {
    std::string spec;
    for (CLI::Option* opt : app.get_options()) {
        if (!opt->nonpositional())
            continue;
        std::string names;
        for (const std::string& s : opt->get_snames())
            names += (names.empty() ? "-" : " -") + s;
        for (const std::string& l : opt->get_lnames())
            names += (names.empty() ? "--" : " --") + l;
        bool takes_value = opt->get_items_expected_max() > 0;
        spec += names + '\t' + (takes_value ? "1" : "0") + '\t' + (takes_value ? values_of(*opt) : "") + '\t' +
                one_line(opt->get_description()) + '\n';
    }
    return spec;
}

} // namespace syskit::cli
