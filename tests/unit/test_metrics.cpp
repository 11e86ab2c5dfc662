// lib/metrics: counters, histograms and the Prometheus text format, byte for byte.
#include "metrics/metrics.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <limits>

using namespace syskit;

TEST_CASE("metrics: a counter adds") {
    metrics::Counter c;
    CHECK(c.value() == 0);
    c.add();
    c.add(41);
    CHECK(c.value() == 42);
}

TEST_CASE("metrics: a histogram puts a value in the first bucket whose bound it does not pass") {
    constexpr std::array<double, 3> bounds{0.1, 1, 10};
    metrics::Histogram h(bounds);
    h.observe(0.05);
    h.observe(0.1); // on a bound: that bucket (le, "less than or equal")
    h.observe(5, 3);
    h.observe(11);
    auto s = h.snapshot();
    CHECK(s.bounds == std::vector<double>{0.1, 1, 10});
    CHECK(s.counts == std::vector<std::uint64_t>{2, 0, 3, 1});
    CHECK(s.count == 6);
    CHECK(s.sum == doctest::Approx(0.05 + 0.1 + 15 + 11));

    metrics::Histogram::Snapshot merged;
    merged.merge(s);
    CHECK(merged.counts == s.counts);
    merged.merge(s);
    CHECK(merged.counts == std::vector<std::uint64_t>{4, 0, 6, 2});
    CHECK(merged.count == 12);
    CHECK(merged.sum == doctest::Approx(2 * s.sum));
}

TEST_CASE("metrics: the text format") {
    metrics::Writer w;
    w.family("requests_total", "Requests by code.\nSecond \\ line.", "counter")
        .sample("requests_total", {{"code", "200"}, {"path", "/a\"b\\c\nd"}}, std::uint64_t{7})
        .sample("requests_total", {}, std::uint64_t{0});
    w.family("temperature", "Degrees.", "gauge")
        .sample("temperature", {}, 21.5)
        .sample("temperature", {{"where", "sun"}}, std::numeric_limits<double>::infinity())
        .sample("temperature", {}, -std::numeric_limits<double>::infinity())
        .sample("temperature", {}, std::nan(""));
    CHECK(w.str() == "# HELP requests_total Requests by code.\\nSecond \\\\ line.\n"
                     "# TYPE requests_total counter\n"
                     "requests_total{code=\"200\",path=\"/a\\\"b\\\\c\\nd\"} 7\n"
                     "requests_total 0\n"
                     "# HELP temperature Degrees.\n"
                     "# TYPE temperature gauge\n"
                     "temperature 21.5\n"
                     "temperature{where=\"sun\"} +Inf\n"
                     "temperature -Inf\n"
                     "temperature NaN\n");
    CHECK(metrics::escape_label("plain") == "plain");
    CHECK(metrics::escape_label("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
}

TEST_CASE("metrics: a histogram's buckets are cumulative, with +Inf, _sum and _count") {
    constexpr std::array<double, 2> bounds{0.25, 1};
    metrics::Histogram h(bounds);
    h.observe(0.125);
    h.observe(0.5, 2);
    h.observe(4);
    metrics::Writer w;
    w.family("latency_seconds", "Latency.", "histogram").histogram("latency_seconds", {{"op", "get"}}, h.snapshot());
    w.histogram("plain", {}, metrics::Histogram(bounds).snapshot());
    CHECK(w.str() == "# HELP latency_seconds Latency.\n"
                     "# TYPE latency_seconds histogram\n"
                     "latency_seconds_bucket{op=\"get\",le=\"0.25\"} 1\n"
                     "latency_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
                     "latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
                     "latency_seconds_sum{op=\"get\"} 5.125\n"
                     "latency_seconds_count{op=\"get\"} 4\n"
                     "plain_bucket{le=\"0.25\"} 0\n"
                     "plain_bucket{le=\"1\"} 0\n"
                     "plain_bucket{le=\"+Inf\"} 0\n"
                     "plain_sum 0\n"
                     "plain_count 0\n");
}
