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

/// A numeric field of CLUSTER INFO; 0 when it is not there.
std::uint64_t field(const std::map<std::string, std::string, std::less<>>& info, std::string_view key) {
    auto it = info.find(key);
    return it == info.end() ? 0 : number(it->second);
}

using NodeView = cluster::State::NodeView;

std::string_view role(const NodeView& n) { return (n.flags & cluster::f_replica) ? "replica" : "master"; }

std::string_view state(const NodeView& n) {
    return (n.flags & cluster::f_fail)        ? "fail"
           : (n.flags & cluster::f_pfail)     ? "pfail"
           : (n.flags & cluster::f_handshake) ? "handshake"
                                              : "ok";
}

std::uint64_t slot_count(const NodeView& n) {
    std::uint64_t c = 0;
    for (auto [lo, hi] : n.slots)
        c += hi - lo + 1;
    return c;
}

void json_string(std::string& out, std::string_view s) {
    out += '"';
    out::append_json_string(out, s);
    out += '"';
}

} // namespace

std::string cluster_json(cluster::State& cl) {
    auto info = info_of(cl);
    auto nodes = cl.view();
    auto num = [&](std::string_view k) { return field(info, k); };
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
    for (const NodeView& n : nodes) {
        j += first ? "{\"id\":" : ",{\"id\":";
        first = false;
        json_string(j, n.id);
        j += ",\"address\":";
        json_string(j, fmt::format("{}:{}", n.ip, n.port));
        fmt::format_to(std::back_inserter(j), ",\"bus_port\":{},\"myself\":{},\"role\":\"{}\",\"master\":", n.cport,
                       n.myself, role(n));
        if (n.master_id.empty())
            j += "null";
        else
            json_string(j, n.master_id);
        fmt::format_to(std::back_inserter(j), ",\"state\":\"{}\",\"link\":\"{}\"", state(n),
                       n.myself || n.link_up ? "connected" : "disconnected");
        j += ",\"last_pong\":";
        if (!n.myself && n.pong_received > 0) {
            timespec ts{static_cast<time_t>(n.pong_received / 1000),
                        static_cast<long>(n.pong_received % 1000) * 1000000};
            json_string(j, out::rfc3339(ts, 3));
        } else {
            j += "null";
        }
        fmt::format_to(std::back_inserter(j), ",\"config_epoch\":{},\"slot_count\":{},\"slots\":[", n.config_epoch,
                       slot_count(n));
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
    auto nodes = cl.view();
    auto num = [&](std::string_view k) { return field(info, k); };
    metrics::Writer w;
    w.family("cachenode_cluster_state", "1 when the cluster is up (every slot served, a majority reachable).", "gauge")
        .sample("cachenode_cluster_state", {}, std::uint64_t{info["cluster_state"] == "ok"});
    w.family("cachenode_cluster_slots", "Slots with an owner, by the owner's state as this node sees it.", "gauge");
    for (auto [state, key] : {std::pair{"ok", "cluster_slots_ok"}, std::pair{"pfail", "cluster_slots_pfail"},
                              std::pair{"fail", "cluster_slots_fail"}})
        w.sample("cachenode_cluster_slots", {{"state", state}}, num(key));
    w.family("cachenode_cluster_nodes", "Nodes this node knows, by role and state (itself included).", "gauge");
    for (std::string_view r : {"master", "replica"})
        for (std::string_view st : {"ok", "pfail", "fail", "handshake"}) {
            std::uint64_t n = 0;
            for (const NodeView& v : nodes)
                n += cachenode::role(v) == r && cachenode::state(v) == st;
            w.sample("cachenode_cluster_nodes", {{"role", r}, {"state", st}}, n);
        }
    std::uint64_t mine = 0, moving = 0;
    for (const NodeView& v : nodes)
        if (v.myself) {
            mine = slot_count(v);
            moving = v.migrating.size() + v.importing.size();
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
