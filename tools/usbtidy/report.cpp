#include "report.hpp"

#include "out/color.hpp"
#include "out/json.hpp"

namespace syskit::usbtidy {

void report_move(out::Sink& sink, cli::Format format, bool escape, const Move& m, bool back, bool color) {
    std::string in_folder = m.folder + '/' + m.name;
    const std::string& from = back ? in_folder : m.src;
    const std::string& to = back ? m.src : in_folder;
    if (format == cli::Format::json) {
        sink.line(out::Object().add("from", from).add("to", to).str());
        return;
    }
    sink.line(out::shown(from, escape) + " -> " + out::paint(out::shown(to, escape), out::sgr::green, color));
}

} // namespace syskit::usbtidy
