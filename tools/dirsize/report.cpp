#include "report.hpp"

#include "out/json.hpp"

#include <algorithm>

namespace syskit::dirsize {

std::string Printer::size_text(std::uint64_t bytes) const {
    if (human_ || si_)
        return out::human_size(bytes, si_);
    // As du: rounded up, so that what takes a byte never shows as 0.
    return std::to_string(bytes / block_.bytes + (bytes % block_.bytes != 0)) + block_.suffix;
}

void Printer::text_line(const std::string& line) const {
    if (null_)
        sink_.record0(line);
    else
        sink_.line(line);
}

void Printer::row(const Sized& s, bool complete) const {
    if (format_ == cli::Format::json) {
        sink_.line(out::Object()
                       .add("path", s.path)
                       .add("size", s.size)
                       .add("apparent", apparent_)
                       .add("depth", s.depth)
                       .add("complete", complete)
                       .str());
        return;
    }
    std::string size = size_text(s.size);
    if (color_ && s.size >= (std::uint64_t{1} << 20)) // the large stand out in a long listing
        size = (s.size >= (std::uint64_t{1} << 30) ? "\033[1;31m" : "\033[33m") + size + "\033[0m";
    text_line(size + '\t' + out::shown(s.path, escape_));
}

void Printer::tree(std::vector<Sized> directories, std::vector<Sized> entries, int depth, bool complete) const {
    std::vector<Sized> shown;
    for (auto* list : {&directories, &entries})
        for (Sized& d : *list)
            if (d.depth <= depth)
                shown.push_back(std::move(d));
    std::sort(shown.begin(), shown.end(), [](const Sized& a, const Sized& b) { return post_order_less(a.path, b.path); });
    for (const Sized& d : shown)
        row(d, complete);
}

void Printer::top(std::vector<Sized> list, std::size_t n, bool complete) const {
    std::sort(list.begin(), list.end(),
              [](const Sized& a, const Sized& b) { return a.size != b.size ? a.size > b.size : a.path < b.path; });
    if (list.size() > n)
        list.resize(n);
    for (const Sized& s : list)
        row(s, complete);
}

void Printer::total(std::uint64_t size, bool complete) const {
    if (format_ == cli::Format::json) {
        sink_.line(out::Object().add("total", true).add("size", size).add("apparent", apparent_).add("complete", complete).str());
        return;
    }
    text_line(size_text(size) + "\ttotal");
}

} // namespace syskit::dirsize
