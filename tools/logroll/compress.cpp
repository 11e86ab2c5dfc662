#include "compress.hpp"

#include "fs/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace syskit::logroll {

namespace {

constexpr std::size_t chunk = 256 * 1024;

/// Reads up to size bytes; -1 with errno on failure, 0 at the end.
ssize_t read_some(int fd, void* data, std::size_t size) {
    ssize_t n;
    do
        n = ::read(fd, data, size);
    while (n < 0 && errno == EINTR);
    return n;
}

bool gzip(int in, int out, Compressed& r, std::string& error) {
    z_stream z{};
    // 15 + 16: a gzip header and trailer around the deflate stream, as gzip(1) writes.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        error = "deflateInit2 failed";
        return false;
    }
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, deflateEnd);
    std::vector<unsigned char> ibuf(chunk), obuf(chunk);
    for (;;) {
        ssize_t n = read_some(in, ibuf.data(), ibuf.size());
        if (n < 0) {
            error = std::string("read: ") + std::strerror(errno);
            return false;
        }
        r.in += static_cast<std::uint64_t>(n);
        z.next_in = ibuf.data();
        z.avail_in = static_cast<uInt>(n);
        int flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
        int rc;
        do {
            z.next_out = obuf.data();
            z.avail_out = static_cast<uInt>(obuf.size());
            rc = deflate(&z, flush);
            std::size_t have = obuf.size() - z.avail_out;
            if (!fs::write_all(out, obuf.data(), have)) {
                error = std::string("write: ") + std::strerror(errno);
                return false;
            }
            r.out += have;
        } while (z.avail_out == 0);
        if (rc == Z_STREAM_END)
            return true;
    }
}

bool zstd(int in, int out, Compressed& r, std::string& error) {
    std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
    if (!cctx) {
        error = "ZSTD_createCCtx failed";
        return false;
    }
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
    std::vector<char> ibuf(ZSTD_CStreamInSize()), obuf(ZSTD_CStreamOutSize());
    for (;;) {
        ssize_t n = read_some(in, ibuf.data(), ibuf.size());
        if (n < 0) {
            error = std::string("read: ") + std::strerror(errno);
            return false;
        }
        r.in += static_cast<std::uint64_t>(n);
        ZSTD_EndDirective mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer ib{ibuf.data(), static_cast<std::size_t>(n), 0};
        std::size_t left;
        do {
            ZSTD_outBuffer ob{obuf.data(), obuf.size(), 0};
            left = ZSTD_compressStream2(cctx.get(), &ob, &ib, mode);
            if (ZSTD_isError(left)) {
                error = ZSTD_getErrorName(left);
                return false;
            }
            if (!fs::write_all(out, obuf.data(), ob.pos)) {
                error = std::string("write: ") + std::strerror(errno);
                return false;
            }
            r.out += ob.pos;
        } while (mode == ZSTD_e_end ? left != 0 : ib.pos < ib.size);
        if (n == 0)
            return true;
    }
}

} // namespace

bool compress_file(int dirfd, const std::string& name, Compression c, Compressed& result, std::string& error) {
    std::string final_name = name + std::string(extension(c));
    std::string tmp = "." + final_name + ".tmp";
    fs::UniqueFd in(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!in) {
        error = name + ": " + std::strerror(errno);
        return false;
    }
    struct stat st{};
    ::fstat(in.get(), &st);
    // O_EXCL: a temporary left by a crash is replaced, never one another process writes.
    ::unlinkat(dirfd, tmp.c_str(), 0);
    fs::UniqueFd out(::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                              st.st_mode & 0666));
    if (!out) {
        error = tmp + ": " + std::strerror(errno);
        return false;
    }
    auto fail = [&](std::string what) {
        error = std::move(what);
        ::unlinkat(dirfd, tmp.c_str(), 0);
        return false;
    };
    std::string why;
    bool ok = c == Compression::gzip ? gzip(in.get(), out.get(), result, why) : zstd(in.get(), out.get(), result, why);
    if (!ok)
        return fail(tmp + ": " + why);
    if (::fsync(out.get()) != 0)
        return fail(tmp + ": fsync: " + std::strerror(errno));
    if (::renameat2(dirfd, tmp.c_str(), dirfd, final_name.c_str(), RENAME_NOREPLACE) != 0)
        return fail(final_name + ": rename: " + std::strerror(errno));
    if (::fsync(dirfd) != 0) {
        error = std::string("fsync of the directory: ") + std::strerror(errno);
        return false;
    }
    if (::unlinkat(dirfd, name.c_str(), 0) != 0) {
        error = name + ": unlink: " + std::strerror(errno);
        return false;
    }
    return true;
}

} // namespace syskit::logroll
