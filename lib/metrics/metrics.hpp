// metrics: counters and histograms cheap enough for a server's hot path, and the Prometheus text
// exposition format to publish them (book chapter 11).
//
// Each counter and histogram has one writer, the thread that owns it (an event loop), and any
// number of readers: writes are relaxed loads and stores, with no read-modify-write and no
// cache line shared between writers.  A scrape sums the per-thread copies.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syskit::metrics {

/// A monotonic count written by one thread.
class Counter {
public:
    void add(std::uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

/// A distribution over fixed upper bounds (seconds, bytes, ...), written by one thread.
class Histogram {
public:
    /// bounds: increasing upper bounds; an implicit +Inf bucket follows them.
    explicit Histogram(std::span<const double> bounds);
    void observe(double v) { observe(v, 1); }
    /// n observations of the same value v (events measured together).
    void observe(double v, std::uint64_t n);

    struct Snapshot {
        std::vector<double> bounds;
        std::vector<std::uint64_t> counts; ///< per bucket, not cumulative; last is +Inf
        double sum = 0;
        std::uint64_t count = 0;
        /// Adds another snapshot with the same bounds.
        void merge(const Snapshot& o);
    };
    Snapshot snapshot() const;

private:
    std::vector<double> bounds_;
    std::vector<std::atomic<std::uint64_t>> counts_;
    std::atomic<double> sum_{0};
};

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// Builds a page in the Prometheus text format, version 0.0.4.
class Writer {
public:
    static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

    /// Starts a metric family: its # HELP and # TYPE lines (type: counter, gauge, histogram).
    Writer& family(std::string_view name, std::string_view help, std::string_view type);
    /// One sample of the current family.
    Writer& sample(std::string_view name, Labels labels, double value);
    Writer& sample(std::string_view name, Labels labels, std::uint64_t value);
    /// The _bucket (cumulative, with le), _sum and _count samples of a histogram.
    Writer& histogram(std::string_view name, Labels labels, const Histogram::Snapshot& h);
    const std::string& str() const { return out_; }

private:
    void head(std::string_view name, Labels labels, std::string_view extra_key = {}, std::string_view extra_value = {});
    std::string out_;
};

/// A label value escaped for the text format: backslash, double quote and newline.
std::string escape_label(std::string_view v);

} // namespace syskit::metrics
