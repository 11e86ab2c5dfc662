#include "codec.hpp"

#include <fmt/format.h>
#include <zlib.h>
#include <zstd.h>


namespace syskit::pipekit {

struct Codec::State {
    z_stream deflate{}, inflate{};
    bool deflate_ready = false, inflate_ready = false;
    ZSTD_CCtx* cctx = nullptr;
    ZSTD_DCtx* dctx = nullptr;
    ~State() {
        if (deflate_ready)
            deflateEnd(&deflate);
        if (inflate_ready)
            inflateEnd(&inflate);
        ZSTD_freeCCtx(cctx);
        ZSTD_freeDCtx(dctx);
    }
};

Codec::Codec(Compression c) : c_(c), s_(std::make_unique<State>()) {}
Codec::~Codec() = default;

bool Codec::compress(std::string_view in, std::string& out, std::string& error) {
    out.clear();
    if (c_ == Compression::none) {
        out.assign(in);
        return true;
    }
    if (c_ == Compression::zstd) {
        if (!s_->cctx && !(s_->cctx = ZSTD_createCCtx())) {
            error = "ZSTD_createCCtx failed";
            return false;
        }
        out.resize(ZSTD_compressBound(in.size()));
        std::size_t n = ZSTD_compressCCtx(s_->cctx, out.data(), out.size(), in.data(), in.size(), 3);
        if (ZSTD_isError(n)) {
            error = fmt::format("zstd: {}", ZSTD_getErrorName(n));
            return false;
        }
        out.resize(n);
        return true;
    }
    auto& z = s_->deflate;
    if (!s_->deflate_ready) {
        // 15 + 16: a gzip header and trailer around the deflate stream, as gzip(1) writes.
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            error = "deflateInit2 failed";
            return false;
        }
        s_->deflate_ready = true;
    } else {
        deflateReset(&z);
    }
    out.resize(deflateBound(&z, static_cast<uLong>(in.size())) + 32);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        error = "gzip: deflate did not finish";
        return false;
    }
    out.resize(out.size() - z.avail_out);
    return true;
}

bool Codec::decompress(std::string_view in, std::size_t limit, std::string& out, std::string& error) {
    out.clear();
    if (c_ == Compression::none) {
        out.assign(in);
        return true;
    }
    if (c_ == Compression::zstd) {
        if (!s_->dctx && !(s_->dctx = ZSTD_createDCtx())) {
            error = "ZSTD_createDCtx failed";
            return false;
        }
        ZSTD_DCtx_reset(s_->dctx, ZSTD_reset_session_only);
        ZSTD_inBuffer src{in.data(), in.size(), 0};
        std::size_t rc = 1;
        char chunk[16384];
        while (rc != 0) {
            ZSTD_outBuffer dst{chunk, sizeof chunk, 0};
            rc = ZSTD_decompressStream(s_->dctx, &dst, &src);
            if (ZSTD_isError(rc)) {
                error = fmt::format("corrupt zstd data: {}", ZSTD_getErrorName(rc));
                return false;
            }
            if (out.size() + dst.pos > limit) {
                error = fmt::format("decompresses to more than {} bytes (--max-frame)", limit);
                return false;
            }
            out.append(chunk, dst.pos);
            if (rc != 0 && src.pos == src.size && dst.pos < dst.size) {
                error = "truncated zstd data";
                return false;
            }
        }
        if (src.pos != src.size) {
            error = "data after the end of the zstd frame";
            return false;
        }
        return true;
    }
    auto& z = s_->inflate;
    if (!s_->inflate_ready) {
        if (inflateInit2(&z, 15 + 16) != Z_OK) {
            error = "inflateInit2 failed";
            return false;
        }
        s_->inflate_ready = true;
    } else {
        inflateReset(&z);
    }
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    char chunk[16384];
    for (;;) {
        z.next_out = reinterpret_cast<Bytef*>(chunk);
        z.avail_out = sizeof chunk;
        int rc = inflate(&z, Z_NO_FLUSH);
        std::size_t have = sizeof chunk - z.avail_out;
        if (out.size() + have > limit) {
            error = fmt::format("decompresses to more than {} bytes (--max-frame)", limit);
            return false;
        }
        out.append(chunk, have);
        if (rc == Z_STREAM_END)
            break;
        if (rc == Z_BUF_ERROR && z.avail_in == 0) {
            error = "truncated gzip data";
            return false;
        }
        if (rc != Z_OK) {
            error = fmt::format("corrupt gzip data: {}", z.msg ? z.msg : "inflate failed");
            return false;
        }
    }
    if (z.avail_in != 0) {
        error = "data after the end of the gzip member";
        return false;
    }
    return true;
}

} // namespace syskit::pipekit
