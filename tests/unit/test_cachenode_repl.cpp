// cachenode's replication (repl.hpp): the stream a master feeds and keeps in its backlog, the
// copy a replica loads, the stream it applies, WAIT's count of acknowledgements; and the bus
// frames that carry them (bus_proto.hpp).
#include "cachenode/bus_proto.hpp"
#include "cachenode/cluster.hpp"
#include "cachenode/repl.hpp"
#include "cachenode/store.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace syskit::cachenode;
using namespace syskit::cachenode::cluster;

namespace {

std::string stream_of(std::vector<std::string_view> argv) {
    std::string s = "*" + std::to_string(argv.size()) + "\r\n";
    for (std::string_view a : argv)
        s += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
    return s;
}

} // namespace

TEST_CASE("cachenode repl: nothing is kept until a replica attaches, then the stream is") {
    StoreConfig cfg;
    Store store(cfg);
    Replication r(store, 1024);
    r.feed(std::vector<std::string_view>{"SET", "a", "1"}, true);
    CHECK(r.offset() == 0);
    CHECK(r.backlog() == std::pair<std::uint64_t, std::uint64_t>{0, 0});
    store.set("a", "1");
    std::uint64_t at = 99;
    std::string copy = r.copy(at);
    CHECK(at == 0);
    CHECK_FALSE(copy.empty());
    r.feed(std::vector<std::string_view>{"SET", "b", "2"}, true);
    std::string set_b = stream_of({"SET", "b", "2"});
    CHECK(r.offset() == set_b.size());
    std::string out;
    REQUIRE(r.read(0, 1 << 20, out));
    CHECK(out == set_b);
    CHECK(r.can_continue(r.replid(), 0));
    CHECK(r.can_continue(r.replid(), set_b.size()));
    CHECK_FALSE(r.can_continue(r.replid(), set_b.size() + 1));
    CHECK_FALSE(r.can_continue(std::string(40, 'f'), 0));
    // MIGRATE goes as a DEL of what it moved; with COPY, or failing, as nothing.
    std::uint64_t before = r.offset();
    r.feed(std::vector<std::string_view>{"MIGRATE", "h", "1", "", "0", "10", "KEYS", "x", "y"}, true);
    r.feed(std::vector<std::string_view>{"MIGRATE", "h", "1", "z", "0", "10", "COPY"}, true);
    r.feed(std::vector<std::string_view>{"MIGRATE", "h", "1", "z", "0", "10"}, false);
    out.clear();
    REQUIRE(r.read(before, 1 << 20, out));
    CHECK(out == stream_of({"DEL", "x", "y"}));
}

TEST_CASE("cachenode repl: the backlog keeps its size; older offsets are gone") {
    StoreConfig cfg;
    Store store(cfg);
    Replication r(store, 1024);
    std::uint64_t at = 0;
    r.copy(at);
    std::string value(100, 'v');
    for (int i = 0; i < 100; ++i)
        r.feed(std::vector<std::string_view>{"SET", "k", value}, true);
    auto [first, len] = r.backlog();
    CHECK(len <= 2 * 1024);
    CHECK(len >= 1024);
    CHECK(first + len == r.offset());
    std::string out;
    CHECK_FALSE(r.read(0, 100, out));
    CHECK_FALSE(r.can_continue(r.replid(), 0));
    CHECK(r.read(first, 100, out));
    CHECK(out.size() == 100);
}

TEST_CASE("cachenode repl: a replica loads a copy, applies the stream in order, and promotes") {
    StoreConfig cfg;
    Store master_store(cfg), replica_store(cfg);
    master_store.set("s", "string");
    SetArgs ttl;
    ttl.expire_at = master_store.now() + 60000;
    master_store.set("t", "with ttl", ttl);
    master_store.modify_hash("h", 64, true, [](Hash& h) { h.set("f", "v"); });
    Replication master(master_store, 1 << 20), replica(replica_store, 1 << 20);
    std::uint64_t at = 0;
    std::string copy = master.copy(at);
    replica_store.set("stale", "gone after the copy");
    std::string error;
    REQUIRE(replica.load(copy, master.replid(), at, error));
    CHECK(replica.replid() == master.replid());
    CHECK(replica_store.size() == 3);
    CHECK_FALSE(replica_store.exists("stale"));
    std::int64_t left = replica_store.pttl("t");
    CHECK(left > 59000);
    CHECK(left <= 60000);
    Type type = Type::string;
    CHECK(replica_store.type_of("h", type));
    CHECK(type == Type::hash);
    CHECK_FALSE(replica.load("\x05", master.replid(), at, error));
    REQUIRE(replica.load(copy, master.replid(), at, error));
    // The stream runs through the executor, whole commands at a time.
    std::string ran;
    replica.on_apply([&](std::string_view in) {
        std::size_t end = in.rfind("\r\n");
        std::size_t used = end == std::string_view::npos ? 0 : end + 2;
        ran += in.substr(0, used);
        return used;
    });
    std::string cmd = stream_of({"SET", "a", "1"});
    CHECK(replica.apply(at, cmd.substr(0, 5)));
    CHECK(replica.apply(at + 5, cmd.substr(5)));
    CHECK(ran == cmd);
    CHECK(replica.offset() == at + cmd.size());
    CHECK_FALSE(replica.apply(at, cmd)); // out of step
    std::string id = replica.replid();
    replica.promote();
    CHECK(replica.replid() != id);
    CHECK(replica.offset() == at + cmd.size());
}

TEST_CASE("cachenode repl: WAIT counts the replicas that acknowledged the end of the stream") {
    StoreConfig cfg;
    Store store(cfg);
    Replication r(store, 1 << 20);
    std::uint64_t at = 0;
    r.copy(at);
    r.feed(std::vector<std::string_view>{"SET", "a", "1"}, true);
    r.ack("r1", 0);
    r.ack("r2", r.offset());
    CHECK(r.wait(1, 10) == 1);
    CHECK(r.wait(2, 10) == 1);
    std::thread later([&] { r.ack("r1", r.offset()); });
    CHECK(r.wait(2, 5000) == 2);
    later.join();
    r.detach("r2");
    CHECK(r.replicas().size() == 1);
    CHECK(r.wait(2, 1) == 1);
}

TEST_CASE("cachenode repl: the bus frames of replication and elections round-trip") {
    Message m;
    m.type = MsgType::stream;
    m.sender = std::string(40, 'a');
    m.repl_offset = 123456789;
    m.data = std::string("*1\r\n$4\r\nPING\r\n\0\xff", 16);
    std::string frame = encode(m, "k");
    Message back;
    std::size_t used = 0;
    std::string why;
    REQUIRE(decode(frame, "k", back, used, why) == Decoded::complete);
    CHECK(back.type == MsgType::stream);
    CHECK(back.repl_offset == 123456789);
    CHECK(back.data == m.data);
    CHECK(encode(back, "k") == frame);
    m.type = MsgType::full;
    m.about = std::string(40, 'c');
    m.mflags = mf_last;
    REQUIRE(decode(encode(m, ""), "", back, used, why) == Decoded::complete);
    CHECK(back.about == m.about);
    CHECK(back.mflags == mf_last);
    Message vote;
    vote.type = MsgType::auth_request;
    vote.sender = std::string(40, 'b');
    vote.master_id = std::string(40, 'a');
    vote.current_epoch = 7;
    vote.mflags = mf_force;
    vote.set_slot(42);
    REQUIRE(decode(encode(vote, ""), "", back, used, why) == Decoded::complete);
    CHECK(back.type == MsgType::auth_request);
    CHECK(back.mflags == mf_force);
    CHECK(back.has_slot(42));
    // A type past the last one is refused.
    std::string bad = encode(vote, "");
    bad[4] = 12;
    CHECK(decode(bad, "", back, used, why) == Decoded::error);
}

TEST_CASE("cachenode repl: a transaction's writes go into the stream between MULTI and EXEC, one wake") {
    StoreConfig cfg;
    Store store(cfg);
    Replication r(store, 1 << 20);
    int wakes = 0;
    r.on_feed([&] { ++wakes; });
    std::uint64_t at = 0;
    r.copy(at);
    {
        Replication::Transaction tx(r);
        r.feed(std::vector<std::string_view>{"SET", "a", "1"}, true);
        r.feed(std::vector<std::string_view>{"DEL", "b"}, true);
        CHECK(wakes == 0);
    }
    CHECK(wakes == 1);
    std::string out;
    REQUIRE(r.read(0, 1 << 20, out));
    CHECK(out == stream_of({"MULTI"}) + stream_of({"SET", "a", "1"}) + stream_of({"DEL", "b"}) + stream_of({"EXEC"}));
    // A transaction that wrote nothing leaves no trace.
    std::uint64_t end = r.offset();
    { Replication::Transaction tx(r); }
    CHECK(r.offset() == end);
    CHECK(wakes == 1);
    // The writes of one read wake the bus once, at its end.
    {
        Replication::Batch batch(r);
        r.feed(std::vector<std::string_view>{"SET", "a", "2"}, true);
        r.feed(std::vector<std::string_view>{"SET", "a", "3"}, true);
        CHECK(wakes == 1);
    }
    CHECK(wakes == 2);
}

TEST_CASE("cachenode repl: a replica runs a transaction only once its EXEC has come") {
    StoreConfig cfg;
    Store store(cfg);
    Replication r(store, 1 << 20);
    std::string error;
    REQUIRE(r.load("", std::string(40, 'a'), 100, error));
    std::vector<std::string> ran;
    r.on_apply([&](std::string_view in) {
        ran.emplace_back(in);
        return in.size();
    });
    std::string set = stream_of({"SET", "a", "1"});
    std::string tx = stream_of({"multi"}) + stream_of({"SET", "b", "1"}) + stream_of({"SET", "c", "1"});
    std::string exec = stream_of({"EXEC"});
    REQUIRE(r.apply(100, set + tx));
    CHECK(ran == std::vector<std::string>{set});
    CHECK(r.offset() == 100 + set.size());
    // The link breaks inside the transaction: the next one starts again where the replica stands,
    // and what it had of the transaction is dropped.
    CHECK_FALSE(r.apply(100 + set.size() + 1, "x"));
    REQUIRE(r.apply(100 + set.size(), tx.substr(0, 7)));
    REQUIRE(r.apply(100 + set.size() + 7, tx.substr(7) + exec.substr(0, 3)));
    CHECK(ran.size() == 1);
    REQUIRE(r.apply(100 + set.size() + tx.size() + 3, exec.substr(3) + set));
    CHECK(ran == std::vector<std::string>{set, tx + exec + set});
    CHECK(r.offset() == 100 + 2 * set.size() + tx.size() + exec.size());
    // What the replica applied is its backlog.
    CHECK(r.backlog() == std::pair<std::uint64_t, std::uint64_t>{100, r.offset() - 100});
}

TEST_CASE("cachenode repl: a promoted replica lets its master's other replicas continue (PSYNC2)") {
    StoreConfig cfg;
    Store store(cfg);
    Replication r(store, 1 << 20);
    std::string error, old_id(40, 'a');
    REQUIRE(r.load("", old_id, 100, error));
    r.on_apply([](std::string_view in) { return in.size(); });
    std::string set = stream_of({"SET", "a", "1"});
    REQUIRE(r.apply(100, set + stream_of({"MULTI"})));
    std::uint64_t end = r.offset();
    CHECK(end == 100 + set.size());
    CHECK(r.second_id() == std::pair<std::string, std::int64_t>{std::string(40, '0'), -1});
    r.promote();
    CHECK(r.replid() != old_id);
    CHECK(r.offset() == end); // the half transaction is not counted
    CHECK(r.second_id() == std::pair<std::string, std::int64_t>{old_id, static_cast<std::int64_t>(end) + 1});
    // A sibling at or behind the promotion continues, under the old id or the new one.
    CHECK(r.can_continue(old_id, end));
    CHECK(r.can_continue(old_id, 100));
    CHECK_FALSE(r.can_continue(old_id, 99));
    CHECK_FALSE(r.can_continue(old_id, end + 1));
    r.feed(std::vector<std::string_view>{"SET", "b", "2"}, true);
    CHECK(r.can_continue(r.replid(), end));
    CHECK_FALSE(r.can_continue(old_id, r.offset()));
    CHECK(r.syncs() == std::pair<std::uint64_t, std::uint64_t>{0, 3});
    std::string out;
    REQUIRE(r.read(100, 1 << 20, out));
    CHECK(out == set + stream_of({"SET", "b", "2"}));
    // A node whose keys are gone has nothing anyone may continue.
    r.restart();
    CHECK_FALSE(r.can_continue(old_id, end));
    CHECK(r.second_id().second == -1);
}
