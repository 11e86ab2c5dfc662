#include "lines.hpp"

namespace syskit::sockkit {

bool LineReader::feed(std::string_view data, const std::function<void(std::string_view)>& on_line) {
    if (failed_)
        return false;
    while (!data.empty()) {
        auto nl = data.find('\n');
        std::string_view piece = data.substr(0, nl);
        // One byte more than the limit may be a "\r" before the newline still to come.
        if (partial_.size() + piece.size() > max_ + 1) {
            failed_ = true;
            partial_.clear();
            partial_.shrink_to_fit();
            return false;
        }
        if (nl == std::string_view::npos) {
            partial_.append(piece);
            return true;
        }
        std::string_view line = piece;
        if (!partial_.empty()) {
            partial_.append(piece);
            line = partial_;
        }
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.size() > max_) {
            failed_ = true;
            partial_.clear();
            return false;
        }
        on_line(line);
        partial_.clear();
        data.remove_prefix(nl + 1);
    }
    return true;
}

} // namespace syskit::sockkit
