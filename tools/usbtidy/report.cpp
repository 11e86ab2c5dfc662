#include "report.hpp"

#include "out/json.hpp"

namespace syskit::usbtidy {

void report_move(out::Sink& sink, cli::Format format, bool escape, const Move& m, bool back) {
    std::string in_folder = m.folder + '/' + m.name;
    const std::string& from = back ? in_folder : m.src;
    const std::string& to = back ? m.src : in_folder;
    if (format == cli::Format::json) {
        sink.line(out::Object().add("from", from).add("to", to).str());
        return;
    }
    sink.line(out::shown(from, escape) + " -> " + out::shown(to, escape));
}

} // namespace syskit::usbtidy
