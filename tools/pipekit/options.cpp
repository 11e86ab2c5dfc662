#include "options.hpp"

#include "words.hpp"

#include "cli/duration.hpp"
#include "cli/size.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace syskit::pipekit {

namespace {

/// The largest --max-frame: a frame's length is 32 bits, and a record is held whole in memory.
constexpr std::uint64_t max_max_frame = 1ULL << 30;

void add_mail_options(CLI::App& sub, MailOptions& m, std::string& compress, std::string& timeout,
                      std::string& max_frame, bool sending) {
    sub.add_flag("--frame", m.frame,
                 "Length-prefixed frames instead of lines, so records may hold newlines; "
                 "both sides must agree");
    sub.add_flag("-0,--null", m.null,
                 sending ? "Records in FILE end with a NUL byte, not a newline"
                         : "End each record printed with a NUL byte, not a newline");
    sub.add_option("--eod", m.eod, "The end-of-data record (default EOD)")->type_name("TEXT");
    sub.add_option("-z,--compress", compress,
                   "--frame: compress each record with gzip or zstd (default none); both sides must agree")
        ->type_name("ALGO");
    sub.add_option("-t,--timeout", timeout,
                   sending ? "Give up when no reader has opened FIFO within SECS (exit 124)"
                           : "Give up when no record has come for SECS (exit 124)")
        ->type_name("SECS");
    sub.add_option("--max-frame", max_frame, "The longest record, in bytes (default 1M)")->type_name("SIZE");
    sub.add_flag("-v,--verbose", m.verbose, "At the end, print records, bytes and rate on stderr");
}

std::optional<cli::Problem> finish_mail(MailOptions& m, const std::string& compress, const std::string& timeout,
                                        const std::string& max_frame) {
    using cli::Problem;
    if (compress == "gzip")
        m.compress = Compression::gzip;
    else if (compress == "zstd")
        m.compress = Compression::zstd;
    else if (compress != "none")
        return Problem{"--compress", fmt::format("'{}' is not a compression: gzip, zstd or none", compress)};
    if (m.compress != Compression::none && !m.frame)
        return Problem{"--compress", "needs --frame: each frame is compressed on its own, so that several "
                                     "writers can share the FIFO"};
    if (!timeout.empty()) {
        auto t = cli::parse_seconds(timeout, 86400 * 365);
        if (!t)
            return Problem{"--timeout", fmt::format("'{}' is not a number of seconds", timeout)};
        m.timeout = *t;
    }
    auto size = cli::parse_size(max_frame);
    if (!size)
        return Problem{"--max-frame", cli::not_a_size(max_frame)};
    if (*size == 0 || *size > max_max_frame)
        return Problem{"--max-frame", fmt::format("must be between 1 byte and 1G, not {}", max_frame)};
    m.max_frame = *size;
    if (m.eod.find(m.null ? '\0' : '\n') != std::string::npos)
        return Problem{"--eod", "the end-of-data record cannot hold the record separator"};
    if (m.eod.size() > m.max_frame)
        return Problem{"--eod", "is longer than --max-frame"};
    return std::nullopt;
}

} // namespace

void add_options(CLI::App& app, Options& o) {
    auto& r = o.raw;
    app.require_subcommand(1, 1);
    // The shared options (-q, --color) are the tool's, and may follow the subcommand too.
    app.fallthrough();

    auto run = app.add_subcommand("run", "Run a pipeline of commands, each stage a quoted command line, no shell");
    run->add_option("STAGE", o.run.stages, "A stage: a command and its arguments, split as sh splits words")
        ->required()
        ->type_name("");
    run->add_flag("--status", o.run.status, "Print each stage's exit status on stderr, as PIPESTATUS holds them");
    run->add_option("-t,--timeout", r.run_timeout, "End the whole pipeline after SECS (exit 124)")
        ->type_name("SECS");
    run->add_option("-k,--kill-after", r.kill_after, "After the timeout's SIGTERM, SIGKILL after SECS (default 5)")
        ->type_name("SECS");

    auto fifo = app.add_subcommand("fifo", "Create a FIFO with an unpredictable name, owner-only, and print its path");
    fifo->add_option("-d,--dir", o.fifo.dir, "Create it in DIR (default $TMPDIR, else /tmp)")->type_name("DIR");
    fifo->add_option("-m,--mode", r.mode, "Its permissions, octal (default 0600); no write for others")
        ->type_name("MODE");

    auto send = app.add_subcommand("send", "Write records (lines or FILE's) into FIFO, then the end-of-data record");
    send->add_option("FIFO", o.send.fifo, "The FIFO")->required()->type_name("");
    send->add_option("FILE", o.send.file, "The records, one a line (default: standard input)")->type_name("");
    add_mail_options(*send, o.send, r.send_compress, r.send_timeout, r.send_max, true);
    send->add_flag("--no-eod", o.send.no_eod, "Send no end-of-data record (one writer of several)");
    send->add_flag("--atomic", o.send.atomic,
                   "Write at most PIPE_BUF bytes at a time, for a FIFO shared with writers other than pipekit");

    auto recv = app.add_subcommand("recv", "Read records from FIFO until the end-of-data record, print them");
    recv->add_option("FIFO", o.recv.fifo, "The FIFO")->required()->type_name("");
    add_mail_options(*recv, o.recv, r.recv_compress, r.recv_timeout, r.recv_max, false);
    recv->add_flag("--no-eod", o.recv.no_eod,
                   "Expect no end-of-data record: the end is when the last writer closes the FIFO");

    auto filter = app.add_subcommand("filter", "Keep the log lines at or above a level");
    filter->add_option("SOURCE", o.filter.source, "A log file or FIFO (default: standard input)")->type_name("");
    filter->add_option("-l,--level", r.level,
                       "The least severe level kept: emerg alert crit error (default) warning notice info debug "
                       "trace, or all (every line)")
        ->type_name("LEVEL");
    filter->add_flag("-f,--follow", o.filter.follow, "SOURCE is a FIFO: reopen it when its last writer goes away");
    filter->add_flag("-c,--count", o.filter.count, "Print how many lines of each level were kept, not the lines");

    auto pump = app.add_subcommand("pump", "Copy standard input to standard output, with splice(2) where it can");
    pump->add_option("-b,--buffer", r.buffer, "Hold up to SIZE bytes in memory to absorb bursts")->type_name("SIZE");
    pump->add_option("-L,--rate-limit", r.rate, "At most RATE bytes per second (10M)")->type_name("RATE");
    pump->add_option("-s,--size", r.size, "The size expected, for the progress line's ETA")->type_name("SIZE");
}

std::optional<cli::Problem> finish(const CLI::App& app, Options& o) {
    using cli::Problem;
    auto& r = o.raw;
    auto chosen = app.get_subcommands();
    if (chosen.empty())
        return Problem{"", "a subcommand is needed: run, fifo, send, recv, filter or pump"};
    const std::string& name = chosen.front()->get_name();

    if (name == "run") {
        o.command = Command::run;
        for (std::size_t i = 0; i < o.run.stages.size(); ++i) {
            std::vector<std::string> words;
            std::string error;
            std::string subject = fmt::format("stage {}", i + 1);
            if (!split_words(o.run.stages[i], words, error))
                return Problem{subject, error};
            if (words.empty())
                return Problem{subject, "is empty: a stage needs a command"};
            o.run.argv.push_back(std::move(words));
        }
        if (!r.run_timeout.empty()) {
            auto t = cli::parse_seconds(r.run_timeout, 86400 * 365);
            if (!t || *t == 0)
                return Problem{"--timeout", fmt::format("'{}' is not a number of seconds above 0", r.run_timeout)};
            o.run.timeout = *t;
        }
        auto k = cli::parse_seconds(r.kill_after, 86400);
        if (!k)
            return Problem{"--kill-after", fmt::format("'{}' is not a number of seconds", r.kill_after)};
        o.run.kill_after = *k;
        return std::nullopt;
    }
    if (name == "fifo") {
        o.command = Command::fifo;
        const std::string& m = r.mode;
        if (m.empty() || m.size() > 4 || m.find_first_not_of("01234567") != std::string::npos)
            return Problem{"--mode", fmt::format("'{}' is not an octal mode such as 0600", m)};
        o.fifo.mode = static_cast<mode_t>(std::stoul(m, nullptr, 8));
        if (o.fifo.mode & 07000)
            return Problem{"--mode", fmt::format("{} sets setuid, setgid or sticky bits, which a FIFO has no use for", m)};
        if (o.fifo.mode & 022)
            return Problem{"--mode", fmt::format("{} lets other users write into the FIFO; pipekit refuses such FIFOs", m)};
        if ((o.fifo.mode & 0600) != 0600)
            return Problem{"--mode", fmt::format("{} does not let the owner read and write it", m)};
        return std::nullopt;
    }
    if (name == "send" || name == "recv") {
        bool sending = name == "send";
        o.command = sending ? Command::send : Command::recv;
        return sending ? finish_mail(o.send, r.send_compress, r.send_timeout, r.send_max)
                       : finish_mail(o.recv, r.recv_compress, r.recv_timeout, r.recv_max);
    }
    if (name == "filter") {
        o.command = Command::filter;
        if (r.level == "all") {
            o.filter.all = true;
            o.filter.level = Level::trace;
        } else if (auto l = level_from_name(r.level)) {
            o.filter.level = *l;
        } else {
            return Problem{"--level", fmt::format("'{}' is not a level: emerg, alert, crit, error, warning, notice, "
                                                  "info, debug, trace or all", r.level)};
        }
        if (o.filter.follow && (o.filter.source.empty() || o.filter.source == "-"))
            return Problem{"--follow", "needs SOURCE, the FIFO to reopen"};
        return std::nullopt;
    }
    o.command = Command::pump;
    auto size_of = [](const std::string& text, const char* opt, std::uint64_t& into) -> std::optional<Problem> {
        if (text.empty())
            return std::nullopt;
        auto v = cli::parse_size(text);
        if (!v)
            return Problem{opt, cli::not_a_size(text)};
        into = *v;
        return std::nullopt;
    };
    if (auto p = size_of(r.buffer, "--buffer", o.pump.buffer))
        return p;
    if (!r.buffer.empty() && (o.pump.buffer < 4096 || o.pump.buffer > (1ULL << 32)))
        return Problem{"--buffer", fmt::format("must be between 4K and 4G, not {}", r.buffer)};
    if (auto p = size_of(r.rate, "--rate-limit", o.pump.rate))
        return p;
    if (!r.rate.empty() && o.pump.rate == 0)
        return Problem{"--rate-limit", "must be above 0"};
    std::uint64_t size = 0;
    if (auto p = size_of(r.size, "--size", size))
        return p;
    if (!r.size.empty())
        o.pump.size = size;
    return std::nullopt;
}

} // namespace syskit::pipekit
