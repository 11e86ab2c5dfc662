#include "metrics/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace syskit::metrics {

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()), counts_(bounds.size() + 1) {}

void Histogram::observe(double v, std::uint64_t n) {
    auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    counts_[i].store(counts_[i].load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + v * static_cast<double>(n), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.bounds = bounds_;
    s.counts.reserve(counts_.size());
    for (const auto& c : counts_) {
        s.counts.push_back(c.load(std::memory_order_relaxed));
        s.count += s.counts.back();
    }
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

void Histogram::Snapshot::merge(const Snapshot& o) {
    if (counts.empty()) {
        *this = o;
        return;
    }
    for (std::size_t i = 0; i < counts.size() && i < o.counts.size(); ++i)
        counts[i] += o.counts[i];
    sum += o.sum;
    count += o.count;
}

std::string escape_label(std::string_view v) {
    std::string r;
    r.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            r += "\\\\";
        else if (c == '"')
            r += "\\\"";
        else if (c == '\n')
            r += "\\n";
        else
            r += c;
    }
    return r;
}

namespace {
std::string number(double v) {
    if (std::isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v))
        return "NaN";
    return fmt::format("{}", v);
}
} // namespace

Writer& Writer::family(std::string_view name, std::string_view help, std::string_view type) {
    std::string h;
    // HELP text escapes only backslash and newline.
    for (char c : help)
        h += c == '\\' ? std::string("\\\\") : c == '\n' ? std::string("\\n") : std::string(1, c);
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, h, name, type);
    return *this;
}

void Writer::head(std::string_view name, Labels labels, std::string_view extra_key, std::string_view extra_value) {
    out_ += name;
    if (labels.size() == 0 && extra_key.empty())
        return;
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
        if (!first)
            out_ += ',';
        first = false;
        fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", k, escape_label(v));
    }
    if (!extra_key.empty())
        fmt::format_to(std::back_inserter(out_), "{}{}=\"{}\"", first ? "" : ",", extra_key, extra_value);
    out_ += '}';
}

Writer& Writer::sample(std::string_view name, Labels labels, double value) {
    head(name, labels);
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
    return *this;
}

Writer& Writer::sample(std::string_view name, Labels labels, std::uint64_t value) {
    head(name, labels);
    fmt::format_to(std::back_inserter(out_), " {}\n", value);
    return *this;
}

Writer& Writer::histogram(std::string_view name, Labels labels, const Histogram::Snapshot& h) {
    std::string bucket = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        std::string le = i < h.bounds.size() ? number(h.bounds[i]) : "+Inf";
        head(bucket, labels, "le", le);
        fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
    }
    head(std::string(name) + "_sum", labels);
    out_ += ' ';
    out_ += number(h.sum);
    out_ += '\n';
    head(std::string(name) + "_count", labels);
    fmt::format_to(std::back_inserter(out_), " {}\n", h.count);
    return *this;
}

} // namespace syskit::metrics
