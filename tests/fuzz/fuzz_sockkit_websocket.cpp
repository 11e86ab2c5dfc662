// sockkit's WebSocket frame reader: any bytes from a client, fed in pieces of any size, never
// crash it or make it hold more than its limits; every event it gives obeys RFC 6455 (text is
// UTF-8, control payloads fit 125 bytes, close codes are ones an endpoint may send), and an
// error always carries a close code.
#include "sockkit/utf8.hpp"
#include "sockkit/websocket.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace syskit::sockkit;
    if (size < 1)
        return 0;
    const std::size_t step = 1 + data[0] % 32;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    const ws::Limits limits{256, 1024};
    ws::Reader r(limits);
    std::string buf;
    for (std::size_t at = 0; at < in.size(); at += step) {
        buf.append(in.substr(at, step));
        for (;;) {
            std::size_t used = 0;
            ws::Event ev;
            auto res = r.next(buf, used, ev);
            check(used <= buf.size());
            buf.erase(0, used);
            if (res == ws::Reader::Result::error) {
                check(ws::valid_close_code(r.code()));
                check(!r.error().empty());
                return 0;
            }
            if (res == ws::Reader::Result::need_more)
                break;
            switch (ev.kind) {
            case ws::Event::message:
                check(ev.data.size() <= limits.max_message);
                check(ev.opcode == ws::text || ev.opcode == ws::binary);
                check(ev.opcode != ws::text || valid_utf8(ev.data));
                break;
            case ws::Event::ping:
            case ws::Event::pong:
                check(ev.data.size() <= 125);
                break;
            case ws::Event::close:
                check(ev.code == ws::no_code || ws::valid_close_code(ev.code));
                check(valid_utf8(ev.reason));
                break;
            }
        }
        // Never more than a whole frame (header, mask, payload) waits in the caller's buffer
        // once the reader has said it needs more.
        check(buf.size() <= 14 + limits.max_frame + step);
    }
    return 0;
}
