// cachenode's Redis Cluster mode: the slot hash against the specification's vectors, the
// nodes file, the routing of commands (MOVED, ASK, CROSSSLOT, TRYAGAIN, CLUSTERDOWN) and the
// CLUSTER command's replies.
#include "cachenode/bus_proto.hpp"
#include "cachenode/cluster.hpp"
#include "cachenode/resp.hpp"
#include "cachenode/slots.hpp"
#include "cachenode/store.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace syskit::cachenode;
using namespace syskit::cachenode::cluster;

namespace {

/// A key whose slot is slot.
std::string key_in(unsigned slot) {
    for (unsigned i = 0;; ++i) {
        std::string k = fmt::format("k{}", i);
        if (key_slot(k) == slot)
            return k;
    }
}

/// A fresh directory for nodes files, removed at the end of the test.
struct NodesDir {
    std::filesystem::path path;
    NodesDir() {
        char tmpl[] = "/tmp/cachenode-cluster-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~NodesDir() { std::filesystem::remove_all(path); }
    std::string file(const char* name) const { return (path / name).string(); }
};

const std::string me_id(40, 'a');
const std::string peer_id(40, 'b');

/// A node that owns slots 0-8191 and is moving slot 100 to its peer, which owns the rest and
/// imports slot 9000 from... nobody here: only myself's moving slots are kept.
std::string two_node_file() {
    return fmt::format("{} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191 [100->-{}]\n"
                       "{} 127.0.0.1:7001@17001 master - 0 0 2 connected 8192-16383\n"
                       "vars currentEpoch 2 lastVoteEpoch 0\n",
                       me_id, peer_id, peer_id);
}

struct World {
    NodesDir dir;
    ClusterConfig cfg;
    StoreConfig scfg;
    Store store{scfg};
    std::unique_ptr<State> state;
    explicit World(const std::string& file_text = {}) {
        cfg.enabled = true;
        cfg.config_file = dir.file("nodes.conf");
        if (!file_text.empty())
            std::ofstream(cfg.config_file) << file_text;
        state = std::make_unique<State>(cfg, "127.0.0.1", 7000, store);
        std::string error;
        REQUIRE_MESSAGE(state->load(error), error);
    }
    std::string run(std::vector<std::string_view> argv) {
        std::string out;
        state->command(argv, out);
        return out;
    }
    std::string route(std::vector<std::string_view> argv, KeySpec ks, ClientFlags flags = {}) {
        std::string out;
        bool ok = state->route(argv, ks, flags, out);
        return ok ? "run" : out;
    }
};

} // namespace

TEST_CASE("cachenode cluster: CRC16 and key slots match the specification") {
    CHECK(crc16("123456789") == 0x31C3);
    CHECK(crc16("") == 0);
    CHECK(key_slot("foo") == 12182);
    CHECK(key_slot("bar") == 5061);
    CHECK(key_slot("{user1000}.following") == key_slot("{user1000}.followers"));
    CHECK(key_slot("{user1000}.following") == key_slot("user1000"));
    // An empty tag hashes the whole key; only the first '{' and the first '}' after it count.
    CHECK(key_slot("foo{}{bar}") == (crc16("foo{}{bar}") & 16383));
    CHECK(key_slot("foo{{bar}}zap") == (crc16("{bar") & 16383));
    CHECK(key_slot("foo{bar}{zap}") == key_slot("bar"));
    CHECK(key_slot("{") == (crc16("{") & 16383));
    CHECK(key_slot("}{") == (crc16("}{") & 16383));
    std::string binary("a\0{x}\xff", 6);
    CHECK(key_slot(binary) == key_slot("x"));
}

TEST_CASE("cachenode cluster: a new node gets an id and writes its nodes file") {
    World w;
    std::string id = w.state->myself_id();
    CHECK(id.size() == 40);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    std::ifstream in(w.cfg.config_file);
    std::string first;
    std::getline(in, first);
    CHECK(first == id + " 127.0.0.1:7000@17000 myself,master - 0 0 0 connected");
    // The same file, loaded again, is the same node.
    State again(w.cfg, "127.0.0.1", 7000, w.store);
    std::string error;
    REQUIRE(again.load(error));
    CHECK(again.myself_id() == id);
}

TEST_CASE("cachenode cluster: the nodes file keeps slots, epochs and moving slots") {
    World w(two_node_file());
    CHECK(w.state->myself_id() == me_id);
    std::string nodes = w.state->nodes_text();
    CHECK(nodes.find(me_id + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191 [100->-" + peer_id + "]") !=
          std::string::npos);
    CHECK(nodes.find(peer_id + " 127.0.0.1:7001@17001 master - 0 0 2 disconnected 8192-16383") != std::string::npos);
    CHECK(w.run({"CLUSTER", "INFO"}).find("cluster_current_epoch:2\r\ncluster_my_epoch:1\r\n") != std::string::npos);
}

TEST_CASE("cachenode cluster: a nodes file that is not one is refused") {
    NodesDir dir;
    ClusterConfig cfg;
    cfg.config_file = dir.file("nodes.conf");
    StoreConfig scfg;
    Store store(scfg);
    for (std::string text :
         {std::string("garbage\n"), std::string(40, 'a') + " 127.0.0.1:1@2 master - 0 0 x connected\n",
          std::string(40, 'a') + " nowhere master - 0 0 0 connected\n",
          std::string(40, 'a') + " 127.0.0.1:1@2 master - 0 0 0 connected 5-99999\n",
          std::string(40, 'a') + " 127.0.0.1:1@2 master - 0 0 0 connected\n"}) {
        std::ofstream(cfg.config_file) << text;
        State s(cfg, "127.0.0.1", 7000, store);
        std::string error;
        CHECK_FALSE(s.load(error));
        CHECK(!error.empty());
    }
}

TEST_CASE("cachenode cluster: commands are routed to the slot's owner") {
    World w(two_node_file());
    KeySpec one{1, 1, 1, "readonly fast"};
    KeySpec all{1, -1, 1, "readonly fast"};
    KeySpec pairs{1, -1, 2, "write denyoom"};
    CHECK(w.route({"GET", "bar"}, one) == "run");
    CHECK(w.route({"GET", "foo"}, one) == "-MOVED 12182 127.0.0.1:7001\r\n");
    CHECK(w.route({"MGET", "{bar}1", "{bar}2"}, all) == "run");
    CHECK(w.route({"MGET", "bar", "foo"}, all) == "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    CHECK(w.route({"MSET", "{foo}a", "x", "{foo}b", "y"}, pairs) == "-MOVED 12182 127.0.0.1:7001\r\n");
    CHECK(w.route({"PING"}, {}) == "run");
    // Slot 100 is migrating: a missing key is asked of the target, a present one served here.
    std::string k = key_in(100);
    CHECK(w.route({"GET", k}, one) == "-ASK 100 127.0.0.1:7001\r\n");
    w.store.set(k, "v");
    CHECK(w.route({"GET", k}, one) == "run");
    std::string k2 = "{" + k + "}2";
    CHECK(w.route({"MGET", k, k2}, all) == "-TRYAGAIN Multiple keys request during rehashing of slot\r\n");
}

/// A claim of the slot ranges, as a master's ping carries it.
State::SlotBits claim(std::initializer_list<std::pair<unsigned, unsigned>> ranges) {
    State::SlotBits bits{};
    for (auto [lo, hi] : ranges)
        for (unsigned s = lo; s <= hi; ++s)
            bits[s / 8] |= static_cast<std::uint8_t>(1u << (s % 8));
    return bits;
}

TEST_CASE("cachenode cluster: a slot its owner no longer claims goes to the next claim, whatever its epoch") {
    // What redis-cli --cluster fix does to slots that a node let go of (DELSLOTS): it gives
    // them to a master, whose config epoch may well be older than that node's.
    const std::string third_id(40, 'c');
    World w(fmt::format("{} 127.0.0.1:7000@17000 myself,master - 0 0 4 connected 0-5460\n"
                        "{} 127.0.0.1:7001@17001 master - 0 0 6 connected 5461-10922\n"
                        "{} 127.0.0.1:7002@17002 master - 0 0 7 connected 10923-16383\n"
                        "vars currentEpoch 7 lastVoteEpoch 0\n",
                        me_id, peer_id, third_id));
    State& st = *w.state;
    KeySpec one{1, 1, 1, "readonly fast"};
    auto owner = [&](unsigned slot) { return w.route({"GET", key_in(slot)}, one); };
    auto moved_to = [](unsigned slot, int port) { return fmt::format("-MOVED {} 127.0.0.1:{}\r\n", slot, port); };

    // An older claim does not take a slot its owner claims.
    CHECK_FALSE(st.take_claims(peer_id, 6, claim({{5461, 10923}})).moved);
    CHECK(owner(10923) == moved_to(10923, 7002));
    // The third node, at epoch 7, lets 10923-10925 go: they stay its own here meanwhile (the
    // cluster stays up, clients are sent there) ...
    CHECK_FALSE(st.take_claims(third_id, 7, claim({{10926, 16383}})).moved);
    CHECK(owner(10923) == moved_to(10923, 7002));
    CHECK(w.run({"CLUSTER", "INFO"}).find("cluster_state:ok\r\n") != std::string::npos);
    // ... until anyone claims them, even at the older epoch 6.
    State::ClaimTaken took = st.take_claims(peer_id, 6, claim({{5461, 10923}}));
    CHECK(took.moved);
    CHECK_FALSE(took.lost_mine);
    CHECK(owner(10923) == moved_to(10923, 7001));
    // A slot claimed again by its owner is protected by its epoch again.
    CHECK_FALSE(st.take_claims(third_id, 7, claim({{10924, 16383}})).moved);
    CHECK_FALSE(st.take_claims(peer_id, 6, claim({{5461, 10924}})).moved);
    CHECK(owner(10924) == moved_to(10924, 7002));
    // fix's way: the third node lets 10925 go, this node takes it (DELSLOTS of what it thinks
    // the third's, ADDSLOTS, BUMPEPOCH) and keeps it against older claims.
    CHECK_FALSE(st.take_claims(third_id, 7, claim({{10926, 16383}})).moved);
    CHECK(w.run({"CLUSTER", "DELSLOTS", "10925"}) == "+OK\r\n");
    CHECK(w.run({"CLUSTER", "ADDSLOTS", "10925"}) == "+OK\r\n");
    CHECK(w.run({"CLUSTER", "BUMPEPOCH"}) == "+BUMPED 8\r\n");
    CHECK(owner(10925) == "run");
    CHECK_FALSE(st.take_claims(peer_id, 6, claim({{5461, 10923}, {10925, 10925}})).moved);
    CHECK_FALSE(st.take_claims(third_id, 7, claim({{10925, 16383}})).moved);
    CHECK(owner(10925) == "run");
    // A newer epoch takes this node's slots.
    took = st.take_claims(peer_id, 9, claim({{0, 10}, {5461, 10923}}));
    CHECK(took.lost_mine);
    CHECK(owner(5) == moved_to(5, 7001));
    CHECK(owner(11) == "run");
}

TEST_CASE("cachenode cluster: ASKING lets an importing slot serve one command") {
    World w(fmt::format("{} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191 [9000-<-{}]\n"
                        "{} 127.0.0.1:7001@17001 master - 0 0 2 connected 8192-16383\n",
                        me_id, peer_id, peer_id));
    KeySpec one{1, 1, 1, "readonly fast"};
    std::string k = key_in(9000);
    ClientFlags flags;
    CHECK(w.route({"GET", k}, one, flags) == "-MOVED 9000 127.0.0.1:7001\r\n");
    flags.asking = true;
    std::string out;
    CHECK(w.state->route(std::vector<std::string_view>{"GET", k}, one, flags, out));
    CHECK_FALSE(flags.asking); // one command only
    CHECK_FALSE(w.state->route(std::vector<std::string_view>{"GET", k}, one, flags, out));
}

TEST_CASE("cachenode cluster: a cluster missing slots is down") {
    World w;
    KeySpec one{1, 1, 1, "readonly fast"};
    CHECK(w.route({"GET", "foo"}, one) == "-CLUSTERDOWN The cluster is down\r\n");
    CHECK(w.run({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}) == "+OK\r\n");
    CHECK(w.route({"GET", "foo"}, one) == "run");
    CHECK(w.run({"CLUSTER", "INFO"}).find("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n") != std::string::npos);
    CHECK(w.run({"CLUSTER", "DELSLOTS", "12182"}) == "+OK\r\n");
    CHECK(w.route({"GET", "foo"}, one) == "-CLUSTERDOWN The cluster is down\r\n");
}

TEST_CASE("cachenode cluster: CLUSTER subcommands answer as Redis's") {
    World w;
    CHECK(w.run({"CLUSTER", "KEYSLOT", "foo"}) == ":12182\r\n");
    CHECK(w.run({"CLUSTER", "ADDSLOTS", "1", "2", "1"}) == "-ERR Slot 1 specified multiple times\r\n");
    CHECK(w.run({"CLUSTER", "ADDSLOTS", "16384"}) == "-ERR Invalid or out of range slot\r\n");
    CHECK(w.run({"CLUSTER", "ADDSLOTS", "1", "2"}) == "+OK\r\n");
    CHECK(w.run({"CLUSTER", "ADDSLOTS", "2"}) == "-ERR Slot 2 is already busy\r\n");
    CHECK(w.run({"CLUSTER", "DELSLOTS", "3"}) == "-ERR Slot 3 is already unassigned\r\n");
    CHECK(w.run({"CLUSTER", "ADDSLOTSRANGE", "9", "5"}) ==
          "-ERR start slot number 9 is greater than end slot number 5\r\n");
    CHECK(w.run({"CLUSTER", "ADDSLOTSRANGE", "1", "2", "5"}) ==
          "-ERR wrong number of arguments for 'cluster|addslotsrange' command\r\n");
    CHECK(w.run({"CLUSTER", "SET-CONFIG-EPOCH", "7"}) == "+OK\r\n");
    CHECK(w.run({"CLUSTER", "SET-CONFIG-EPOCH", "8"}) == "-ERR Node config epoch is already non-zero\r\n");
    CHECK(w.run({"CLUSTER", "BUMPEPOCH"}) == "+STILL 7\r\n");
    CHECK(w.run({"CLUSTER", "SETSLOT", "1", "MIGRATING", std::string(40, 'c')}) ==
          "-ERR I don't know about node " + std::string(40, 'c') + "\r\n");
    CHECK(w.run({"CLUSTER", "SETSLOT", "3", "MIGRATING", w.state->myself_id()}) ==
          "-ERR I'm not the owner of hash slot 3\r\n");
    CHECK(w.run({"CLUSTER", "SETSLOT", "1", "STABLE"}) == "+OK\r\n");
    CHECK(w.run({"CLUSTER", "SETSLOT", "1", "SIDEWAYS"}) ==
          "-ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP\r\n");
    std::string k = key_in(2);
    w.store.set(k, "v");
    CHECK(w.run({"CLUSTER", "COUNTKEYSINSLOT", "2"}) == ":1\r\n");
    CHECK(w.run({"CLUSTER", "GETKEYSINSLOT", "2", "10"}) == fmt::format("*1\r\n${}\r\n{}\r\n", k.size(), k));
    CHECK(w.run({"CLUSTER", "RESET"}) == "-ERR CLUSTER RESET can't be called with master nodes containing keys\r\n");
    // Redis 7.0's own errors for bad arguments, each subcommand's.
    CHECK(w.run({"CLUSTER", "COUNTKEYSINSLOT", "x"}) == "-ERR value is not an integer or out of range\r\n");
    CHECK(w.run({"CLUSTER", "COUNTKEYSINSLOT", "16384"}) == "-ERR Invalid slot\r\n");
    CHECK(w.run({"CLUSTER", "GETKEYSINSLOT", "1", "x"}) == "-ERR value is not an integer or out of range\r\n");
    CHECK(w.run({"CLUSTER", "GETKEYSINSLOT", "-1", "1"}) == "-ERR Invalid slot or number of keys\r\n");
    CHECK(w.run({"CLUSTER", "GETKEYSINSLOT", "1", "-1"}) == "-ERR Invalid slot or number of keys\r\n");
    CHECK(w.run({"CLUSTER", "SET-CONFIG-EPOCH", "x"}) == "-ERR value is not an integer or out of range\r\n");
    CHECK(w.run({"CLUSTER", "SET-CONFIG-EPOCH", "-1"}) == "-ERR Invalid config epoch specified: -1\r\n");
    CHECK(w.run({"CLUSTER", "SETSLOT", "1", "NODE", "zz"}) == "-ERR Unknown node zz\r\n");
    // Slot 1 is this node's, slot 3 nobody's: the owner is looked at before the node named.
    CHECK(w.run({"CLUSTER", "SETSLOT", "3", "IMPORTING", "zz"}) == "-ERR I don't know about node zz\r\n");
    CHECK(w.run({"CLUSTER", "SETSLOT", "1", "IMPORTING", "zz"}) == "-ERR I'm already the owner of hash slot 1\r\n");
    CHECK(w.run({"CLUSTER", "SETSLOT", "1", "MIGRATING", "zz"}) == "-ERR I don't know about node zz\r\n");
    CHECK(w.run({"CLUSTER", "SETSLOT", "3", "MIGRATING", "zz"}) == "-ERR I'm not the owner of hash slot 3\r\n");
    CHECK(w.run({"CLUSTER", "MEET", "127.0.0.1", "x"}) == "-ERR Invalid TCP base port specified: x\r\n");
    CHECK(w.run({"CLUSTER", "MEET", "127.0.0.1", "7001", "x"}) == "-ERR Invalid TCP bus port specified: x\r\n");
    CHECK(w.run({"CLUSTER", "MEET", "127.0.0.1", "0"}) == "-ERR Invalid node address specified: 127.0.0.1:0\r\n");
    CHECK(w.run({"CLUSTER", "MEET", "127.0.0.1", "60000"}) ==
          "-ERR Invalid node address specified: 127.0.0.1:60000\r\n"); // its bus port would be 70000
    CHECK(w.run({"CLUSTER", "MEET", "127.0.0.1", "7001", "17001", "x"}) ==
          "-ERR unknown subcommand or wrong number of arguments for 'MEET'. Try CLUSTER HELP.\r\n");
    CHECK(w.run({"CLUSTER", "reset", "SOFT", "x"}) ==
          "-ERR unknown subcommand or wrong number of arguments for 'reset'. Try CLUSTER HELP.\r\n");
    CHECK(w.run({"CLUSTER", "RESET", "x"}) == "-ERR syntax error\r\n");
    CHECK(w.run({"CLUSTER", "FAILOVER", "FORCE", "x"}) ==
          "-ERR unknown subcommand or wrong number of arguments for 'FAILOVER'. Try CLUSTER HELP.\r\n");
    w.store.flush();
    std::string before = w.state->myself_id();
    CHECK(w.run({"CLUSTER", "RESET", "HARD"}) == "+OK\r\n");
    CHECK(w.state->myself_id() != before);
    CHECK(w.run({"CLUSTER", "INFO"}).find("cluster_slots_assigned:0\r\n") != std::string::npos);
}

TEST_CASE("cachenode cluster: CLUSTER HELP gives each subcommand's synopsis and description, as Redis's") {
    World w;
    std::string reply = w.run({"CLUSTER", "HELP"});
    // An array of simple strings.
    REQUIRE(reply.starts_with("*"));
    std::size_t eol = reply.find("\r\n");
    std::size_t n = std::stoul(reply.substr(1, eol - 1));
    std::vector<std::string> lines;
    for (std::size_t pos = eol + 2; pos < reply.size();) {
        REQUIRE(reply[pos] == '+');
        std::size_t end = reply.find("\r\n", pos);
        REQUIRE(end != std::string::npos);
        lines.push_back(reply.substr(pos + 1, end - pos - 1));
        pos = end + 2;
    }
    REQUIRE(lines.size() == n);
    CHECK(lines.front() == "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    // Then a synopsis, flush left, and its description, indented, for each subcommand.
    std::vector<std::string> names;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::string& l = lines[i];
        CHECK(!l.empty());
        if (l.starts_with("    ")) {
            CHECK(l.size() <= 104);
            continue;
        }
        CAPTURE(l);
        REQUIRE(i + 1 < lines.size());
        CHECK(lines[i + 1].starts_with("    ")); // every synopsis has a description
        names.push_back(l.substr(0, l.find(' ')));
    }
    // Redis 7.0's subcommands that this node has, in order, HELP last.
    CHECK(names == std::vector<std::string>{"ADDSLOTS", "ADDSLOTSRANGE", "BUMPEPOCH", "COUNTKEYSINSLOT", "DELSLOTS",
                                            "DELSLOTSRANGE", "FAILOVER", "FORGET", "GETKEYSINSLOT", "INFO",
                                            "KEYSLOT", "MEET", "MYID", "NODES", "REPLICATE", "REPLICAS", "RESET",
                                            "SAVECONFIG", "SET-CONFIG-EPOCH", "SETSLOT", "SHARDS", "SLOTS", "HELP"});
    CHECK(lines.back() == "    Print this help.");
    // Any case, as every subcommand.
    CHECK(w.run({"cluster", "help"}) == reply);
}

TEST_CASE("cachenode cluster: bus frames round-trip and are authenticated") {
    Message m;
    m.type = MsgType::pong;
    m.sender = me_id;
    m.current_epoch = 9;
    m.config_epoch = 4;
    m.flags = f_master;
    m.port = 7000;
    m.cport = 17000;
    m.set_slot(0);
    m.set_slot(16383);
    m.gossip.push_back({peer_id, "::1", 7001, 17001, f_master | f_pfail});
    std::string frame = encode(m, "s3cret");
    Message back;
    std::size_t used = 0;
    std::string why;
    REQUIRE(decode(frame + "extra", "s3cret", back, used, why) == Decoded::complete);
    CHECK(used == frame.size());
    CHECK(back.sender == me_id);
    CHECK(back.type == MsgType::pong);
    CHECK(back.current_epoch == 9);
    CHECK(back.config_epoch == 4);
    CHECK(back.has_slot(0));
    CHECK(back.has_slot(16383));
    CHECK_FALSE(back.has_slot(1));
    REQUIRE(back.gossip.size() == 1);
    CHECK(back.gossip[0].ip == "::1");
    CHECK(back.gossip[0].flags == (f_master | f_pfail));
    // Another secret, or none, is refused; so is a frame changed in transit.
    CHECK(decode(frame, "other", back, used, why) == Decoded::error);
    CHECK(why.find("authentication") != std::string::npos);
    CHECK(decode(frame, "", back, used, why) == Decoded::error);
    std::string tampered = frame;
    tampered[60] ^= 1;
    CHECK(decode(tampered, "s3cret", back, used, why) == Decoded::error);
    // Part of a frame waits for the rest; something else is refused at once.
    CHECK(decode(frame.substr(0, frame.size() - 1), "s3cret", back, used, why) == Decoded::incomplete);
    CHECK(decode(frame.substr(0, 3), "s3cret", back, used, why) == Decoded::incomplete);
    CHECK(decode("HTTP/1.1 400 Bad Request\r\n", "", back, used, why) == Decoded::error);
    std::string huge = frame.substr(0, 8) + std::string("\xff\xff\xff\x7f", 4);
    CHECK(decode(huge, "s3cret", back, used, why) == Decoded::error);
}
