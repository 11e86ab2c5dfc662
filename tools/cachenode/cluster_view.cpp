#include "cluster_view.hpp"

#include "metrics/metrics.hpp"
#include "out/json.hpp"
#include "out/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <vector>

namespace syskit::cachenode {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    while (!s.empty()) {
        std::size_t i = s.find(sep);
        if (i != 0)
            parts.push_back(s.substr(0, i));
        if (i == std::string_view::npos)
            break;
        s.remove_prefix(i + 1);
    }
    return parts;
}

std::uint64_t number(std::string_view s) {
    std::uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

/// CLUSTER INFO's fields.
std::map<std::string, std::string, std::less<>> info_of(cluster::State& cl) {
    std::array<std::string_view, 2> argv{"CLUSTER", "INFO"};
    std::string reply;
    cl.command(argv, reply);
    std::map<std::string, std::string, std::less<>> fields;
    std::string_view body = reply;
    body.remove_prefix(std::min(body.size(), body.find("\r\n") + 2)); // the bulk string's header
    for (std::string_view line : split(body, '\n')) {
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        std::size_t colon = line.find(':');
        if (colon != std::string_view::npos)
            fields.emplace(line.substr(0, colon), line.substr(colon + 1));
    }
    return fields;
}

/// One line of CLUSTER NODES.
struct NodeLine {
    std::string_view id, addr, master, link;
    std::uint16_t bus_port = 0;
    std::vector<std::string_view> flags;
    std::int64_t pong_ms = 0;
    std::uint64_t epoch = 0;
    std::vector<std::pair<unsigned, unsigned>> slots;
    std::vector<std::pair<unsigned, std::string_view>> migrating, importing;

    bool has(std::string_view f) const { return std::find(flags.begin(), flags.end(), f) != flags.end(); }
    std::string_view role() const { return has("slave") ? "replica" : "master"; }
    std::string_view state() const {
        return has("fail") ? "fail" : has("fail?") ? "pfail" : has("handshake") ? "handshake" : "ok";
    }
    std::uint64_t slot_count() const {
        std::uint64_t n = 0;
        for (auto [lo, hi] : slots)
            n += hi - lo + 1;
        return n;
    }
};

std::vector<NodeLine> nodes_of(const std::string& text) {
    std::vector<NodeLine> nodes;
    for (std::string_view line : split(text, '\n')) {
        auto w = split(line, ' ');
        if (w.size() < 8)
            continue;
        NodeLine n;
        n.id = w[0];
        std::size_t at = w[1].find('@');
        n.addr = w[1].substr(0, at);
        if (at != std::string_view::npos)
            n.bus_port = static_cast<std::uint16_t>(number(w[1].substr(at + 1, w[1].find(',') - at - 1)));
        n.flags = split(w[2], ',');
        n.master = w[3] == "-" ? std::string_view() : w[3];
        n.pong_ms = static_cast<std::int64_t>(number(w[5]));
        n.epoch = number(w[6]);
        n.link = w[7];
        for (std::size_t i = 8; i < w.size(); ++i) {
            std::string_view s = w[i];
            if (s.front() == '[') {
                std::size_t arrow = s.find("->-"), back = s.find("-<-");
                bool mig = arrow != std::string_view::npos;
                std::size_t p = mig ? arrow : back;
                if (p == std::string_view::npos)
                    continue;
                auto slot = static_cast<unsigned>(number(s.substr(1, p - 1)));
                (mig ? n.migrating : n.importing).emplace_back(slot, s.substr(p + 3, s.size() - p - 4));
                continue;
            }
            std::size_t dash = s.find('-');
            auto lo = static_cast<unsigned>(number(s.substr(0, dash)));
            auto hi = dash == std::string_view::npos ? lo : static_cast<unsigned>(number(s.substr(dash + 1)));
            n.slots.emplace_back(lo, hi);
        }
        nodes.push_back(std::move(n));
    }
    return nodes;
}

void json_string(std::string& out, std::string_view s) {
    out += '"';
    out::append_json_string(out, s);
    out += '"';
}

} // namespace

std::string cluster_json(cluster::State& cl) {
    auto info = info_of(cl);
    std::string text = cl.nodes_text();
    auto nodes = nodes_of(text);
    auto num = [&](std::string_view k) {
        auto it = info.find(k);
        return it == info.end() ? 0 : number(it->second);
    };
    std::string j = "{\"state\":";
    json_string(j, info["cluster_state"]);
    fmt::format_to(std::back_inserter(j),
                   ",\"slots_assigned\":{},\"slots_ok\":{},\"slots_pfail\":{},\"slots_fail\":{},\"known_nodes\":{},"
                   "\"size\":{},\"current_epoch\":{},\"myself\":",
                   num("cluster_slots_assigned"), num("cluster_slots_ok"), num("cluster_slots_pfail"),
                   num("cluster_slots_fail"), num("cluster_known_nodes"), num("cluster_size"),
                   num("cluster_current_epoch"));
    json_string(j, cl.myself_id());
    j += ",\"nodes\":[";
    bool first = true;
    for (const NodeLine& n : nodes) {
        j += first ? "{\"id\":" : ",{\"id\":";
        first = false;
        json_string(j, n.id);
        j += ",\"address\":";
        json_string(j, n.addr);
        fmt::format_to(std::back_inserter(j), ",\"bus_port\":{},\"myself\":{},\"role\":\"{}\",\"master\":", n.bus_port,
                       n.has("myself"), n.role());
        if (n.master.empty())
            j += "null";
        else
            json_string(j, n.master);
        fmt::format_to(std::back_inserter(j), ",\"state\":\"{}\",\"link\":", n.state());
        json_string(j, n.link);
        j += ",\"last_pong\":";
        if (n.pong_ms > 0) {
            timespec ts{static_cast<time_t>(n.pong_ms / 1000), static_cast<long>(n.pong_ms % 1000) * 1000000};
            json_string(j, out::rfc3339(ts, 3));
        } else {
            j += "null";
        }
        fmt::format_to(std::back_inserter(j), ",\"config_epoch\":{},\"slot_count\":{},\"slots\":[", n.epoch,
                       n.slot_count());
        for (std::size_t i = 0; i < n.slots.size(); ++i)
            fmt::format_to(std::back_inserter(j), "{}[{},{}]", i ? "," : "", n.slots[i].first, n.slots[i].second);
        j += "]";
        for (auto [name, list] : {std::pair{"migrating", &n.migrating}, std::pair{"importing", &n.importing}}) {
            fmt::format_to(std::back_inserter(j), ",\"{}\":[", name);
            for (std::size_t i = 0; i < list->size(); ++i) {
                fmt::format_to(std::back_inserter(j), "{}{{\"slot\":{},\"node\":", i ? "," : "", (*list)[i].first);
                json_string(j, (*list)[i].second);
                j += "}";
            }
            j += "]";
        }
        j += "}";
    }
    j += "]}\n";
    return j;
}

std::string cluster_metrics(cluster::State& cl) {
    auto info = info_of(cl);
    auto nodes = nodes_of(cl.nodes_text());
    auto num = [&](std::string_view k) {
        auto it = info.find(k);
        return it == info.end() ? 0 : number(it->second);
    };
    metrics::Writer w;
    w.family("cachenode_cluster_state", "1 when the cluster is up (every slot served, a majority reachable).", "gauge")
        .sample("cachenode_cluster_state", {}, std::uint64_t{info["cluster_state"] == "ok"});
    w.family("cachenode_cluster_slots", "Slots with an owner, by the owner's state as this node sees it.", "gauge");
    for (auto [state, key] : {std::pair{"ok", "cluster_slots_ok"}, std::pair{"pfail", "cluster_slots_pfail"},
                              std::pair{"fail", "cluster_slots_fail"}})
        w.sample("cachenode_cluster_slots", {{"state", state}}, num(key));
    w.family("cachenode_cluster_nodes", "Nodes this node knows, by role and state (itself included).", "gauge");
    for (std::string_view role : {"master", "replica"})
        for (std::string_view state : {"ok", "pfail", "fail", "handshake"}) {
            std::uint64_t n = 0;
            for (const NodeLine& l : nodes)
                n += l.role() == role && l.state() == state;
            w.sample("cachenode_cluster_nodes", {{"role", role}, {"state", state}}, n);
        }
    std::uint64_t mine = 0, moving = 0;
    for (const NodeLine& l : nodes)
        if (l.has("myself")) {
            mine = l.slot_count();
            moving = l.migrating.size() + l.importing.size();
        }
    w.family("cachenode_cluster_myself_slots", "Slots this node owns.", "gauge")
        .sample("cachenode_cluster_myself_slots", {}, mine);
    w.family("cachenode_cluster_moving_slots", "Slots this node is migrating or importing.", "gauge")
        .sample("cachenode_cluster_moving_slots", {}, moving);
    w.family("cachenode_cluster_current_epoch", "The cluster's current epoch as this node knows it.", "gauge")
        .sample("cachenode_cluster_current_epoch", {}, num("cluster_current_epoch"));
    w.family("cachenode_cluster_my_epoch", "This node's config epoch.", "gauge")
        .sample("cachenode_cluster_my_epoch", {}, num("cluster_my_epoch"));
    return w.str();
}

} // namespace syskit::cachenode
