#include "gather.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace syskit::pipekit {

Gather::Gather(bool frame, char separator, std::size_t limit) : frame_(frame), separator_(separator), limit_(limit) {
    iov_.reserve(max_iov);
    // Room for all that fits() lets in: limit bytes, or one record alone, with its header;
    // and for what a bulk copy into room() writes beyond it.
    reserve(limit + frame_header + 1 + RecordReader::slack);
}

void Gather::reserve(std::size_t size) {
    // fits() keeps copies_ within the room made at the start while anything points into it.
    if (copied_ + size <= room_)
        return;
    copies_ = std::make_unique_for_overwrite<char[]>(size);
    room_ = size;
}

void Gather::add(std::string_view record, bool followed) {
    // Records shorter than this are copied: below it, the kernel's cost per iovec is more than
    // a copy in user space.
    constexpr std::size_t copy_below = 2048;
    if (!frame_ && followed) {
        records_++;
        borrows_ = true;
        push(record.data(), record.size() + 1);
    } else if (record.size() < copy_below) {
        add_copy(record);
    } else {
        records_++;
        if (frame_) {
            reserve(frame_header);
            append_header(copies_.get() + copied_, record.size());
            push(copies_.get() + copied_, frame_header);
            copied_ += frame_header;
        }
        borrows_ = true;
        push(record.data(), record.size());
        if (!frame_)
            push(&separator_, 1);
    }
}

bool Gather::flush(int fd) {
    std::size_t first = 0;
    bool ok = true;
    while (ok && first < iov_.size()) {
        ssize_t n = ::writev(fd, iov_.data() + first, static_cast<int>(iov_.size() - first));
        if (n < 0) {
            ok = errno == EINTR;
            continue;
        }
        auto done = static_cast<std::size_t>(n);
        while (first < iov_.size() && done >= iov_[first].iov_len)
            done -= iov_[first++].iov_len;
        if (done > 0) {
            iov_[first].iov_base = static_cast<char*>(iov_[first].iov_base) + done;
            iov_[first].iov_len -= done;
        }
    }
    int err = errno;
    iov_.clear();
    copied_ = 0;
    bytes_ = records_ = 0;
    borrows_ = false;
    errno = err;
    return ok;
}

} // namespace syskit::pipekit
