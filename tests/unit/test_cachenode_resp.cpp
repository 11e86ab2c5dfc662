// cachenode's RESP session through the net::Session seam: bytes in, bytes out, as a connection
// drives it (commands.cpp and resp.cpp together).
#include "../fuzz/cachenode_world.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>

using namespace syskit;
using namespace syskit::cachenode;

namespace {

/// A request in RESP's multibulk form, as redis-cli sends it.
std::string cmd(std::initializer_list<std::string_view> args) {
    // fmt, not "*" + std::to_string(...): g++ 12 warns falsely (-Wrestrict) on that sum.
    std::string r = fmt::format("*{}\r\n", args.size());
    for (std::string_view a : args)
        fmt::format_to(std::back_inserter(r), "${}\r\n{}\r\n", a.size(), a);
    return r;
}

/// One connection: what a read brings in, what goes back, and what the session wants next.
struct Conn {
    explicit Conn(std::string_view password = {}) : w(password), s(w.shared, w.ws) {}
    /// The reply to in, which must be consumed whole.
    std::string send(std::string_view in) {
        std::string out = read(in);
        CHECK(consumed == in.size());
        return out;
    }
    /// The reply to in, leaving consumed and after as the session set them.
    std::string read(std::string_view in) {
        std::string out;
        after = s.on_data(in, consumed, out);
        return out;
    }
    std::uint64_t count(Op op, bool ok) const {
        return w.ws.ops[static_cast<unsigned>(Proto::resp)][static_cast<unsigned>(op)][ok ? 0 : 1].value();
    }

    fuzz::World w;
    RespSession s;
    std::size_t consumed = 0;
    net::After after = net::After::keep;
};

} // namespace

TEST_CASE("cachenode RESP: inline and multibulk requests, one reply each, in order") {
    Conn c;
    CHECK(c.send("PING\r\n") == "+PONG\r\n");
    CHECK(c.send(cmd({"PING", "hi"})) == "$2\r\nhi\r\n");
    CHECK(c.send(cmd({"SET", "k", "v"}) + cmd({"GET", "k"}) + cmd({"GET", "missing"}) + "ECHO hi\r\n") ==
          "+OK\r\n$1\r\nv\r\n$-1\r\n$2\r\nhi\r\n");
    CHECK(c.after == net::After::keep);
    CHECK(c.send(cmd({"MSET", "a", "1", "b", "2"}) + cmd({"MGET", "a", "nope", "b"}) + cmd({"DBSIZE"})) ==
          "+OK\r\n*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n:3\r\n");
    CHECK(c.send(cmd({"INCR", "a"}) + cmd({"DECRBY", "a", "10"}) + cmd({"INCR", "k"})) ==
          ":2\r\n:-8\r\n-ERR value is not an integer or out of range\r\n");
    CHECK(c.send(cmd({"APPEND", "s", "foo"}) + cmd({"APPEND", "s", "bar"}) + cmd({"STRLEN", "s"})) ==
          ":3\r\n:6\r\n:6\r\n");
    CHECK(c.send(cmd({"DEL", "a", "b", "nope"}) + cmd({"EXISTS", "k", "k", "a"})) == ":2\r\n:2\r\n");
    CHECK(c.count(Op::get, true) == 2); // a miss is an answer
    CHECK(c.count(Op::incr, true) == 1);
    CHECK(c.count(Op::incr, false) == 1);
}

TEST_CASE("cachenode RESP: TTLs are read at the time of the read that brought the commands") {
    Conn c;
    CHECK(c.send(cmd({"SET", "k", "v", "EX", "100"}) + cmd({"TTL", "k"}) + cmd({"PTTL", "k"}) +
                 cmd({"PERSIST", "k"}) + cmd({"TTL", "k"}) + cmd({"TTL", "missing"})) ==
          "+OK\r\n:100\r\n:100000\r\n:1\r\n:-1\r\n:-2\r\n");
    CHECK(c.send(cmd({"SET", "k", "v", "EX", "0"}) + cmd({"SET", "k", "v", "NX", "XX"}) +
                 cmd({"SET", "k", "v", "EX", "ten"})) ==
          "-ERR invalid expire time in 'set' command\r\n-ERR syntax error\r\n"
          "-ERR value is not an integer or out of range\r\n");
    CHECK(c.send(cmd({"EXPIRE", "k", "-1"}) + cmd({"EXISTS", "k"})) == ":1\r\n:0\r\n");
}

TEST_CASE("cachenode RESP: a request cut anywhere waits for the rest") {
    Conn c;
    std::string whole = cmd({"SET", "key", "value"}) + cmd({"GET", "key"});
    for (std::size_t cut = 1; cut < whole.size(); ++cut) {
        CAPTURE(cut);
        Conn fresh;
        std::string in = whole.substr(0, cut), out = fresh.read(in);
        in.erase(0, fresh.consumed);
        in += whole.substr(cut);
        out += fresh.send(in);
        CHECK(out == "+OK\r\n$5\r\nvalue\r\n");
    }
    CHECK(c.read("*2\r\n$3\r\nGET\r\n$1\r\n") == "");
    CHECK(c.consumed == 0);
    CHECK(c.after == net::After::keep);
}

TEST_CASE("cachenode RESP: errors in Redis's words") {
    Conn c;
    CHECK(c.send(cmd({"NOSUCH", "a", "b"})) ==
          "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n");
    CHECK(c.send(cmd({"GET"}) + cmd({"GET", "a", "b"})) ==
          "-ERR wrong number of arguments for 'get' command\r\n-ERR wrong number of arguments for 'get' command\r\n");
    CHECK(c.send(cmd({"SELECT", "1"}) + cmd({"SELECT", "0"})) == "-ERR DB index is out of range\r\n+OK\r\n");
    CHECK(c.send(cmd({"AUTH", "x"})) == "-ERR AUTH <password> called without any password configured for the "
                                       "default user. Are you sure your configuration is correct?\r\n");
    CHECK(c.count(Op::unknown, false) == 1);
    CHECK(c.count(Op::get, false) == 2);
}

TEST_CASE("cachenode RESP: --max-key and --max-value, and CONFIG GET reports them") {
    Conn c; // the world's limits: keys of 256 bytes, values of 4096, 1 MiB of memory
    CHECK(c.send(cmd({"SET", std::string(257, 'k'), "v"})) == "-ERR key is larger than max-key (256 bytes)\r\n");
    CHECK(c.send(cmd({"SET", "k", std::string(4097, 'v')})) ==
          "-ERR value is larger than max-value (4096 bytes)\r\n");
    CHECK(c.send(cmd({"SET", "k", std::string(4096, 'v')}) + cmd({"APPEND", "k", "v"})) ==
          "+OK\r\n-ERR string exceeds maximum allowed size (max-value 4096 bytes)\r\n");
    CHECK(c.send(cmd({"CONFIG", "GET", "maxmemory*"})) ==
          "*4\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n$16\r\nmaxmemory-policy\r\n$5\r\nsieve\r\n");
    CHECK(c.send(cmd({"CONFIG", "GET", "proto-max-bulk-len"})) ==
          "*2\r\n$18\r\nproto-max-bulk-len\r\n$4\r\n4096\r\n");
    CHECK(c.send(cmd({"CONFIG", "SET", "nosuch", "1"})) ==
          "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
    CHECK(c.send(cmd({"CONFIG", "SET", "maxmemory", "2mb"}) + cmd({"CONFIG", "GET", "maxmemory"})) ==
          "+OK\r\n*2\r\n$9\r\nmaxmemory\r\n$7\r\n2097152\r\n");
    std::string count = c.send(cmd({"COMMAND", "COUNT"}));
    CHECK(c.send(cmd({"COMMAND"})).starts_with("*" + count.substr(1)));
    // DOCS: a name and its documentation per command (a flat map in RESP2).
    CHECK(c.send(cmd({"COMMAND", "DOCS"})).starts_with(fmt::format("*{}\r\n", 2 * std::stoi(count.substr(1)))));
    CHECK(c.send(cmd({"COMMAND", "DOCS", "ping", "nosuch"})) ==
          "*2\r\n$4\r\nping\r\n*6\r\n$7\r\nsummary\r\n$30\r\nReturns PONG, or its argument.\r\n$5\r\nsince\r\n"
          "$5\r\n1.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n");
    CHECK(c.send(cmd({"COMMAND", "INFO", "get", "nosuch"})) ==
          "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
          "*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n*-1\r\n");
}

TEST_CASE("cachenode RESP: INFO sections") {
    Conn c;
    CHECK(c.send(cmd({"SET", "k", "v", "PX", "5000"}) + cmd({"INFO", "keyspace"})) ==
          "+OK\r\n$44\r\n# Keyspace\r\ndb0:keys=1,expires=1,avg_ttl=0\r\n\r\n");
    std::string memory = c.send(cmd({"INFO", "MEMORY"}));
    CHECK(memory.find("# Memory\r\nused_memory:") != std::string::npos);
    CHECK(memory.find("\r\nmaxmemory:1048576\r\nmaxmemory_human:1.00M\r\nmaxmemory_policy:sieve\r\n") !=
          std::string::npos);
    CHECK(memory.find("# Server") == std::string::npos);
}

TEST_CASE("cachenode RESP: QUIT answers, then closes; what follows it is not run") {
    Conn c;
    std::string quit = cmd({"QUIT"});
    CHECK(c.read(quit + cmd({"SET", "k", "v"})) == "+OK\r\n");
    CHECK(c.after == net::After::close);
    CHECK(c.consumed == quit.size());
    CHECK(c.w.store.size() == 0);
}

TEST_CASE("cachenode RESP: a protocol error is answered, then the connection closes") {
    struct Case {
        std::string in, reply;
    } cases[] = {
        {"*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
        {"*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
        {"*1\r\n+GET\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"},
        {"*1\r\n$3\r\nGETxx", "-ERR Protocol error: bulk string not followed by CRLF\r\n"},
        {"*2\r\n$3\r\nGET\r\n$2147483648\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
        {cmd({"SET", "k", std::string(20000, 'v')}), "-ERR Protocol error: invalid bulk length\r\n"},
        {cmd({"MSET", "a", std::string(4000, 'v'), "b", std::string(4000, 'v'), "c", std::string(4000, 'v'), "d",
              std::string(4000, 'v'), "e", std::string(4000, 'v')}),
         "-ERR Protocol error: request larger than 16384 bytes\r\n"},
    };
    // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
    for (const auto& kase : cases) {
        const std::string& in = kase.in;
        const std::string& reply = kase.reply;
        CAPTURE(in.substr(0, 40));
        Conn c;
        CHECK(c.send(cmd({"PING"}) + in) == "+PONG\r\n" + reply);
        CHECK(c.after == net::After::close);
        CHECK(c.count(Op::bad_request, false) == 1);
    }
}

TEST_CASE("cachenode RESP: before AUTH, little is allowed and requests are small") {
    Conn c("s3cret");
    CHECK(c.send(cmd({"PING"}) + cmd({"GET", "k"}) + cmd({"DBSIZE"})) ==
          "+PONG\r\n-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n");
    CHECK(c.send(cmd({"AUTH", "wrong"}) + cmd({"AUTH", "admin", "s3cret"})) ==
          "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
          "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    CHECK(c.count(Op::get, false) == 1);
    CHECK(c.count(Op::auth, false) == 2);

    Conn big("s3cret");
    CHECK(big.send(cmd({"AUTH", std::string(16385, 'x')})) == "-ERR Protocol error: invalid bulk length\r\n");
    CHECK(big.after == net::After::close);
    Conn many("s3cret");
    CHECK(many.send(cmd({"PING", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"})) ==
          "-ERR Protocol error: invalid multibulk length\r\n");

    // Once authenticated, the limits are --max-request's, from the next request on.
    Conn ok("s3cret");
    CHECK(ok.send(cmd({"AUTH", "default", "s3cret"}) + cmd({"SET", "k", std::string(4000, 'x')}) +
                  cmd({"PING", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}) + cmd({"STRLEN", "k"})) ==
          "+OK\r\n+OK\r\n-ERR wrong number of arguments for 'ping' command\r\n:4000\r\n");
}

TEST_CASE("cachenode RESP: CLIENT PAUSE WRITE leaves a write and what follows it unread until UNPAUSE") {
    Conn c;
    CHECK(c.send(cmd({"CLIENT", "PAUSE", "60000", "WRITE"})) == "+OK\r\n");
    std::string pipeline = cmd({"GET", "k"}) + cmd({"SET", "k", "v"}) + cmd({"GET", "k"});
    // The read goes on; the write, and the read after it, wait.
    CHECK(c.read(pipeline) == "$-1\r\n");
    CHECK(c.consumed == cmd({"GET", "k"}).size());
    std::string rest = pipeline.substr(c.consumed);
    CHECK(c.read(rest).empty());
    CHECK(c.consumed == 0);
    // Another session's UNPAUSE: then they run.
    RespSession other(c.w.shared, c.w.ws);
    std::size_t used = 0;
    std::string out;
    other.on_data(cmd({"CLIENT", "UNPAUSE"}), used, out);
    CHECK(out == "+OK\r\n");
    CHECK(c.send(rest) == "+OK\r\n$1\r\nv\r\n");
}

TEST_CASE("cachenode RESP: an unknown subcommand is refused before it is queued, as Redis refuses it") {
    Conn c;
    CHECK(c.send(cmd({"MULTI"}) + cmd({"memory", "doctor"}) + cmd({"CLIENT", "ID"}) + cmd({"EXEC"})) ==
          "+OK\r\n-ERR unknown subcommand 'doctor'. Try MEMORY HELP.\r\n+QUEUED\r\n"
          "-EXECABORT Transaction discarded because of previous errors.\r\n");
    // Without --cluster, CLUSTER is known and disabled; its subcommands are looked up first.
    CHECK(c.send(cmd({"CLUSTER", "HELP"}) + cmd({"CLUSTER", "NOSUCH"}) + cmd({"CLUSTER", "INFO", "x"})) ==
          "-ERR This instance has cluster support disabled\r\n-ERR unknown subcommand 'NOSUCH'. Try CLUSTER HELP.\r\n"
          "-ERR wrong number of arguments for 'cluster|info' command\r\n");
}

TEST_CASE("cachenode RESP: COMMAND GETKEYS finds MIGRATE's keys as Redis 7.0 does") {
    Conn c;
    CHECK(c.send(cmd({"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "5"})) == "*1\r\n$1\r\nk\r\n");
    CHECK(c.send(cmd({"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "COPY", "KEYS", "a", "b"})) ==
          "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    // AUTH's and AUTH2's arguments are never the KEYS keyword.
    CHECK(c.send(cmd({"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "AUTH2", "KEYS", "KEYS", "KEYS",
                      "a"})) == "*1\r\n$1\r\na\r\n");
    CHECK(c.send(cmd({"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "AUTH", "KEYS", "x"})) ==
          "*1\r\n$0\r\n\r\n");
    // A KEYS that is the last argument is not looked at: the key argument, as in Redis.
    CHECK(c.send(cmd({"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "AUTH", "x", "KEYS"})) ==
          "*1\r\n$0\r\n\r\n");
    // KEYS after a key argument: MIGRATE refuses it, and there are no keys.
    CHECK(c.send(cmd({"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a"})) ==
          "-ERR Invalid arguments specified for command\r\n");
    CHECK(c.send(cmd({"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "KEYS", "KEYS"})) ==
          "*1\r\n$4\r\nKEYS\r\n");
}
