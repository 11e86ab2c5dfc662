// compress: a rotated log compressed beside itself with gzip (zlib) or zstd (libzstd), so
// that a crash at any moment leaves either the original or a complete compressed copy.
#pragma once

#include "names.hpp"

#include <cstdint>
#include <string>

namespace syskit::logroll {

struct Compressed {
    std::uint64_t in = 0, out = 0; ///< bytes read and written
};

/// Compresses name (in the directory dirfd) into name + extension(c): writes a hidden
/// temporary ".NAME.gz.tmp" in the same directory, fsyncs it, renames it into place without
/// replacing anything, fsyncs the directory, and only then unlinks name.  On failure (a full
/// disk, say) the temporary is removed, name is left as it was, and error says what failed.
bool compress_file(int dirfd, const std::string& name, Compression c, Compressed& result, std::string& error);

} // namespace syskit::logroll
