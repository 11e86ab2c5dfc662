#include "batch.hpp"

#include "plan.hpp"
#include "rotate.hpp"
#include "script.hpp"
#include "state.hpp"

#include "cli/diag.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>

#include <fmt/format.h>

namespace syskit::logroll {

namespace {

/// A user's id from a name or a number.
std::optional<uid_t> user_id(const std::string& name) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos && name.size() < 10)
        return static_cast<uid_t>(std::stoul(name));
    struct passwd pw{}, *found = nullptr;
    char buf[4096];
    if (getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &found) != 0 || !found)
        return std::nullopt;
    return found->pw_uid;
}

std::optional<gid_t> group_id(const std::string& name) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos && name.size() < 10)
        return static_cast<gid_t>(std::stoul(name));
    struct group gr{}, *found = nullptr;
    char buf[4096];
    if (getgrnam_r(name.c_str(), &gr, buf, sizeof buf, &found) != 0 || !found)
        return std::nullopt;
    return found->gr_gid;
}

/// The effective user and group a block's su names, for as long as it lives.  Switched only
/// while no rotator's background thread is working, so every file a block's rotation makes
/// is made with the same rights.
class Identity {
public:
    Identity() = default;
    Identity(const Identity&) = delete;
    Identity& operator=(const Identity&) = delete;
    ~Identity() { leave(); }

    /// Switches to uid and gid, gid the only group (root's supplementary groups would
    /// otherwise still open what su's group cannot); false, with error naming the call, when
    /// it cannot.
    bool enter(uid_t uid, gid_t gid, std::string& error) {
        saved_uid_ = ::geteuid();
        saved_gid_ = ::getegid();
        const int n = ::getgroups(0, nullptr);
        saved_groups_.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        if (n < 0 || ::getgroups(n, saved_groups_.data()) != n) {
            error = fmt::format("getgroups: {}", std::strerror(errno));
            return false;
        }
        if (::setgroups(1, &gid) != 0) {
            error = fmt::format("setgroups({}): {}", gid, std::strerror(errno));
            return false;
        }
        if (::setegid(gid) != 0) {
            error = fmt::format("setegid({}): {}", gid, std::strerror(errno));
            ::setgroups(saved_groups_.size(), saved_groups_.data());
            return false;
        }
        if (::seteuid(uid) != 0) {
            error = fmt::format("seteuid({}): {}", uid, std::strerror(errno));
            ::setegid(saved_gid_);
            ::setgroups(saved_groups_.size(), saved_groups_.data());
            return false;
        }
        active_ = true;
        return true;
    }
    void leave() {
        if (!active_)
            return;
        // Back to the ids logroll started with, which the kernel lets it take again since
        // only the effective ones changed.
        if (::seteuid(saved_uid_) != 0 || ::setegid(saved_gid_) != 0 ||
            ::setgroups(saved_groups_.size(), saved_groups_.data()) != 0)
            std::abort();
        active_ = false;
    }

private:
    uid_t saved_uid_ = 0;
    gid_t saved_gid_ = 0;
    std::vector<gid_t> saved_groups_;
    bool active_ = false;
};

/// The su of a block, resolved.
struct Su {
    bool set = false;
    uid_t uid = 0;
    gid_t gid = 0;
};

/// One due log of a block, from its preparation to the end of its background work.
struct Job {
    std::string path, dir, base;
    std::uint64_t size = 0;
    std::string why;
    struct stat before{};
    fs::UniqueFd lock;
    std::unique_ptr<Rotator> rotator;
    std::string to;
    bool rotated = false, failed = false;
};

void split(const std::string& path, std::string& dir, std::string& base) {
    auto slash = path.rfind('/');
    dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    base = slash == std::string::npos ? path : path.substr(slash + 1);
}

/// The directory is one another user could plant files in: logrotate's check, which su lifts.
bool insecure(const struct stat& dir) {
    return (dir.st_mode & S_IWOTH) || ((dir.st_mode & S_IWGRP) && dir.st_gid != 0);
}

class Batch {
public:
    Batch(const config::Config& cfg, const Options& o, log::Logger& log, out::Sink& out)
        : cfg_(cfg), o_(o), log_(log), out_(out), now_(std::time(nullptr)) {}

    int run() {
        bool timed = false;
        for (const auto& b : cfg_.blocks)
            timed = timed || (b.d.interval != config::Interval::none);
        if (timed) {
            unsigned bad = 0;
            bool missing = false;
            std::string error;
            if (!load_state(o_.state, state_, bad, error, StateFormat::logroll, &missing)) {
                // Without it every timed log would look never rotated: none is rotated by time.
                cli::error(o_.state, error);
                failed_ = true;
            } else if (bad) {
                cli::error(o_.state, fmt::format("{} line{} not understood, left out", bad, bad == 1 ? "" : "s"));
            }
            if (missing)
                import_logrotate_state();
            bool created = false;
            if (!o_.dry_run && !ready_state_dir(o_.state, created, error)) {
                // Refused before anything is rotated: a rotation the state cannot record would
                // be done again at the next run.
                cli::error(o_.state, fmt::format("the state file cannot be written ({}); nothing rotated", error));
                return cli::exit_trouble;
            }
            if (created)
                log_.info("created the state file's directory", {{"file", o_.state}});
        }
        auto ex = plan::expand(cfg_);
        for (const auto& p : ex.missing) {
            cli::error(p, "no such log file (missingok not given)");
            failed_ = true;
        }
        for (const auto& p : ex.repeated) {
            cli::error(p, "named by two blocks: the first one's directives apply");
            failed_ = true;
        }
        for (const auto& s : ex.skipped)
            cli::warn("", s + ": skipped");
        if (o_.dry_run)
            for (std::size_t b = 0; b < cfg_.blocks.size(); ++b)
                if (cfg_.blocks[b].d.missingok)
                    for (const auto& pattern : cfg_.blocks[b].patterns)
                        if (std::none_of(ex.targets.begin(), ex.targets.end(),
                                         [&](const plan::Target& t) { return t.block == b; }))
                            out_.line(fmt::format("{}: no such log, nothing to do (missingok)", pattern));
        for (std::size_t b = 0, i = 0; b < cfg_.blocks.size(); ++b) {
            std::vector<std::string> paths;
            for (; i < ex.targets.size() && ex.targets[i].block == b; ++i)
                paths.push_back(ex.targets[i].path);
            if (!paths.empty())
                block(cfg_.blocks[b], paths);
        }
        if (state_changed_ && !o_.dry_run) {
            std::string error;
            if (!save_state(o_.state, state_, error)) {
                log_.error("cannot write the state file", {{"file", o_.state}, {"error", error}});
                failed_ = true;
            }
        }
        return failed_ ? cli::exit_trouble : any_rotated_ ? cli::exit_ok : cli::exit_found;
    }

private:
    /// On the first run (no state file of logroll's yet), takes logrotate's records, so the
    /// logs of a machine that logrotate rotated until now keep their days, weeks and months
    /// instead of each starting a new period at this run.
    void import_logrotate_state() {
        unsigned bad = 0;
        bool missing = false;
        std::string error;
        if (o_.logrotate_state.empty() ||
            !load_state(o_.logrotate_state, imported_, bad, error, StateFormat::logrotate, &missing)) {
            if (!error.empty())
                log_.warn("cannot read logrotate's state file: nothing imported", {{"file", o_.logrotate_state},
                                                                                  {"error", error}});
            return;
        }
        if (!missing)
            log_.info("first run: the last rotations are taken from logrotate's state file",
                      {{"file", o_.logrotate_state}, {"records", std::uint64_t{imported_.size()}},
                       {"lines_not_understood", std::uint64_t{bad}}});
    }

    /// Runs one of a block's scripts, if it has it; false when it failed (and was logged).
    /// Under su, as su's user and group, unless the block says scriptsasroot.
    bool script(std::string_view what, const std::string& text, const config::Directives& d, const std::string& arg) {
        if (text.empty())
            return true;
        std::optional<Credentials> as;
        if (su_.set && !d.scripts_as_root)
            as = Credentials{su_.uid, su_.gid};
        const std::uint64_t uid = as ? as->uid : ::geteuid();
        if (o_.dry_run) {
            log_.info("would run script", {{"script", what}, {"arg", arg}, {"uid", uid}, {"dry_run", true}});
            return true;
        }
        std::string error;
        if (run_script(what, text, arg, d.script_timeout, as, log_, error))
            return true;
        log_.error("script failed", {{"script", what}, {"arg", arg}, {"error", error}});
        return false;
    }

    void block(const config::Block& b, const std::vector<std::string>& paths) {
        const auto& d = b.d;
        Su su;
        if (!d.su_user.empty()) {
            auto uid = user_id(d.su_user);
            std::optional<gid_t> gid;
            if (uid && d.su_group.empty()) {
                struct passwd pw{}, *found = nullptr;
                char buf[4096];
                if (getpwuid_r(*uid, &pw, buf, sizeof buf, &found) == 0 && found)
                    gid = found->pw_gid;
            } else {
                gid = group_id(d.su_group);
            }
            if (!uid || !gid) {
                cli::error(fmt::format("{}:{}", b.file, b.line),
                           fmt::format("su {} {}: no such {}; the block's logs are left alone", d.su_user, d.su_group,
                                       !uid ? "user" : "group"));
                failed_ = true;
                return;
            }
            su = {true, *uid, *gid};
        }
        su_ = su;
        std::vector<Job> jobs;
        for (const auto& path : paths) {
            Job j;
            j.path = path;
            split(path, j.dir, j.base);
            if (!decide(d, j))
                continue;
            struct stat dst{};
            if (::stat(j.dir.c_str(), &dst) != 0) {
                log_.error("cannot stat the log's directory",
                           {{"file", path}, {"error", std::string_view(std::strerror(errno))}});
                failed_ = true;
                continue;
            }
            if (!su.set && ::geteuid() == 0 && insecure(dst)) {
                cli::error(path, fmt::format("skipped: its directory {} is writable by {} (mode {:04o}); rotating in "
                                             "it as root would let that user redirect the rotation.  Give the block "
                                             "'su USER GROUP' to rotate with that user's rights",
                                             j.dir, (dst.st_mode & S_IWOTH) ? "every user" : "a group other than root",
                                             dst.st_mode & 07777));
                failed_ = true;
                continue;
            }
            jobs.push_back(std::move(j));
        }
        if (jobs.empty())
            return;
        std::string patterns;
        for (const auto& p : b.patterns)
            patterns += (patterns.empty() ? "" : " ") + p;
        if (!script("firstaction", d.firstaction, d, patterns)) {
            fail_all(jobs, "firstaction failed: the block's logs are left alone");
            return;
        }
        if (d.sharedscripts && !script("prerotate", d.prerotate, d, patterns)) {
            fail_all(jobs, "prerotate failed: the block's logs are left alone");
            script("lastaction", d.lastaction, d, patterns);
            return;
        }
        for (auto& j : jobs) {
            if (!d.sharedscripts && !script("prerotate", d.prerotate, d, j.path)) {
                j.failed = failed_ = true;
                log_.error("prerotate failed: the log is left alone", {{"file", j.path}});
                continue;
            }
            Identity id;
            std::string error;
            if (su.set && !id.enter(su.uid, su.gid, error)) {
                j.failed = failed_ = true;
                log_.error("cannot take the rights of su", {{"file", j.path}, {"error", error}});
                continue;
            }
            if (!prepare(d, j) || (!o_.dry_run && !rotate(d, j, su, id))) {
                j.failed = failed_ = true;
                continue;
            }
            id.leave();
            if (!d.sharedscripts && (j.rotated || o_.dry_run) && !script("postrotate", d.postrotate, d, j.path))
                failed_ = true;
            if (!d.sharedscripts)
                finish(su, j);
        }
        if (d.sharedscripts) {
            if (std::any_of(jobs.begin(), jobs.end(), [](const Job& j) { return !j.failed; }) &&
                !script("postrotate", d.postrotate, d, patterns))
                failed_ = true;
            for (auto& j : jobs)
                finish(su, j);
        }
        if (!script("lastaction", d.lastaction, d, patterns))
            failed_ = true;
    }

    void fail_all(std::vector<Job>& jobs, std::string_view why) {
        failed_ = true;
        for (auto& j : jobs)
            log_.error(why, {{"file", j.path}});
    }

    /// Whether j is due; logs (or, dry run, prints) why not, and records a timed log's
    /// first sight in the state.  False for a log that is not due or cannot be looked at.
    bool decide(const config::Directives& d, Job& j) {
        if (::lstat(j.path.c_str(), &j.before) != 0) {
            if (errno == ENOENT && d.missingok)
                return false;
            log_.error("cannot stat the log", {{"file", j.path}, {"error", std::string_view(std::strerror(errno))}});
            failed_ = true;
            return false;
        }
        j.size = static_cast<std::uint64_t>(j.before.st_size);
        plan::Facts f;
        f.size = j.size;
        f.now = now_;
        f.force = o_.force;
        const bool timed = d.interval != config::Interval::none;
        bool imported = false;
        if (auto it = state_.find(j.path); timed && it != state_.end()) {
            f.last = it->second;
        } else if (auto at = imported_.find(j.path); timed && at != imported_.end()) {
            f.last = at->second;
            imported = true;
        }
        auto r = plan::decide(d, f);
        if (timed && (!f.last || imported) && !o_.dry_run) {
            state_[j.path] = f.last.value_or(now_);
            state_changed_ = true;
        }
        j.why = r.why;
        if (!r.rotate) {
            if (o_.dry_run)
                out_.line(fmt::format("{}: not due: {}", j.path, r.why));
            else
                log_.log(log::Level::debug, "not due", {{"file", j.path}, {"reason", r.why}});
        }
        return r.rotate;
    }

    /// Opens j's directory (and olddir), takes its lock and makes its rotator; in a dry run,
    /// prints what would be done.  False when something failed (and was logged).
    bool prepare(const config::Directives& d, Job& j) {
        fs::UniqueFd dirfd(::open(j.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dirfd) {
            log_.error("cannot open the log's directory", {{"dir", j.dir}, {"error", std::string_view(std::strerror(errno))}});
            return false;
        }
        fs::UniqueFd olddirfd;
        std::string olddir;
        if (!d.olddir.empty()) {
            olddir = d.olddir[0] == '/' ? d.olddir : j.dir + "/" + d.olddir;
            olddirfd.reset(::open(olddir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            struct stat a{}, b{};
            if (!olddirfd) {
                log_.error("cannot open olddir", {{"file", j.path}, {"olddir", olddir},
                                                  {"error", std::string_view(std::strerror(errno))}});
                return false;
            }
            ::fstat(dirfd.get(), &a);
            ::fstat(olddirfd.get(), &b);
            if (a.st_dev != b.st_dev) {
                log_.error("olddir is on another file system than the log: logroll moves rotated files by rename, "
                           "which does not cross file systems; the log is left alone",
                           {{"file", j.path}, {"olddir", olddir}});
                return false;
            }
        }
        int err = lock_log(dirfd.get(), j.base, o_.wait, j.lock);
        if (err) {
            log_.error(err == EAGAIN || err == ETIMEDOUT ? "another logroll is rotating this log" : "cannot lock the log",
                       {{"file", j.path}, {"lock", std::string_view(lock_file)}, {"error", std::string_view(std::strerror(err))}});
            return false;
        }
        RotateOptions ro;
        ro.scheme = d.dateext ? Scheme::timestamp : Scheme::numbered;
        ro.compression = d.compress && d.rotate > 0 ? d.algorithm : Compression::none;
        ro.delay_compression = d.delaycompress;
        ro.retention.keep = d.rotate;
        ro.retention.max_age = d.maxage;
        ro.background = false;
        j.rotator = std::make_unique<Rotator>(std::move(dirfd), j.dir, j.base, ro, log_);
        if (olddirfd)
            j.rotator->set_olddir(std::move(olddirfd), olddir);
        if (!share_listing(olddir.empty() ? j.dir : olddir, j))
            return false;
        j.rotator->remove_temporaries(o_.dry_run);
        if (o_.dry_run) {
            const std::string to = j.rotator->next_name();
            out_.line(fmt::format("{}: would rotate to {}{}: {}", j.path, j.rotator->rotated_path(to),
                                  d.copytruncate ? " (copytruncate)" : "", j.why));
            any_rotated_ = true;
            j.rotator->resume_compression(true);
            std::optional<Candidate> pending;
            if (auto r = parse_rotated(j.base, ro.scheme, to))
                pending = Candidate{std::move(*r), j.size, now_};
            j.rotator->apply_retention(true, pending);
        }
        return true;
    }

    /// Gives j's rotator the entries of its names from one listing of dir (its rotated
    /// files' directory) that every log there shares: read once a run, since each log's names
    /// change only by its own rotation, later.  One taken before j's lock may miss what
    /// another logroll did to j in between; the rename then still never replaces a file, and
    /// retention catches up at the next run.  False when dir cannot be read (and was logged).
    bool share_listing(const std::string& dir, Job& j) {
        auto it = listings_.find(dir);
        if (it == listings_.end()) {
            Rotator::Listing all;
            std::string error;
            if (!Rotator::read_directory(j.rotator->rotated_dirfd(), "", all, error)) {
                log_.error("cannot read the directory", {{"dir", dir}, {"error", error}});
                return false;
            }
            std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            it = listings_.emplace(dir, std::move(all)).first;
        }
        Rotator::Listing mine;
        for (const std::string& prefix : {j.base, "." + j.base}) {
            auto at = std::lower_bound(it->second.begin(), it->second.end(), prefix,
                                       [](const auto& e, const std::string& p) { return e.first < p; });
            for (; at != it->second.end() && at->first.starts_with(prefix); ++at)
                mine.push_back(*at);
        }
        j.rotator->use_listing(std::move(mine));
        return true;
    }

    /// Rotates j (rename or copytruncate) and creates the new log; false when it failed.
    /// id holds su's rights, if any.
    bool rotate(const config::Directives& d, Job& j, const Su& su, Identity& id) {
        Rotator& r = *j.rotator;
        if (d.copytruncate) {
            CopyResult cr;
            std::string error;
            if (!r.copy_truncate(j.to, cr, error)) {
                log_.error("rotation failed, the log is left as it was", {{"file", j.path}, {"error", error}});
                return false;
            }
            log_.info("rotated", {{"file", j.path}, {"to", r.rotated_path(j.to)}, {"bytes", cr.copied},
                                  {"reason", j.why}, {"method", "copytruncate"}, {"bytes_during_copy", cr.during_copy},
                                  {"bytes_kept", cr.kept}, {"bytes_lost", cr.lost}});
        } else {
            if (int err = r.rename_current(j.to)) {
                log_.error("rotation failed, the log is left as it was",
                           {{"file", j.path}, {"error", std::string_view(std::strerror(err))}});
                return false;
            }
            log_.info("rotated", {{"file", j.path}, {"to", r.rotated_path(j.to)}, {"bytes", j.size},
                                  {"reason", j.why}, {"method", "rename"}});
            if (d.create && !create(d, j, su, id))
                failed_ = true;
        }
        j.rotated = any_rotated_ = true;
        if (d.interval != config::Interval::none) {
            state_[j.path] = now_;
            state_changed_ = true;
        }
        return true;
    }

    /// Creates the new, empty log: O_EXCL, so a file made meanwhile (by the writer, or by
    /// someone else in the directory) is never taken over.  Under su the file is made with
    /// su's rights and given its owner with logroll's own (the descriptor's file is ours: no
    /// path is followed), while no background work runs.
    bool create(const config::Directives& d, Job& j, const Su& su, Identity& id) {
        uid_t uid = j.before.st_uid;
        gid_t gid = j.before.st_gid;
        if (!d.create_owner.empty()) {
            auto u = cached_user(d.create_owner);
            if (!u) {
                log_.error("create: no such user", {{"file", j.path}, {"user", d.create_owner}});
                return false;
            }
            uid = *u;
        }
        if (!d.create_group.empty()) {
            auto g = cached_group(d.create_group);
            if (!g) {
                log_.error("create: no such group", {{"file", j.path}, {"group", d.create_group}});
                return false;
            }
            gid = *g;
        }
        const mode_t mode = d.create_mode ? *d.create_mode : (j.before.st_mode & 07777);
        fs::UniqueFd fd(::openat(j.rotator->dirfd(), j.base.c_str(),
                                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
        auto fail = [&](const char* call) {
            log_.error("create failed", {{"file", j.path}, {"call", call}, {"error", std::string_view(std::strerror(errno))}});
            return false;
        };
        if (!fd)
            return fail("openat");
        // The owner first: chown clears the set-id bits a mode may have.
        id.leave();
        struct stat st{};
        ::fstat(fd.get(), &st);
        const char* failed = nullptr;
        if ((st.st_uid != uid || st.st_gid != gid) && ::fchown(fd.get(), uid, gid) != 0)
            failed = "fchown";
        else if (::fchmod(fd.get(), mode) != 0)
            failed = "fchmod";
        int err = errno;
        std::string error;
        if (su.set && !id.enter(su.uid, su.gid, error)) {
            log_.error("cannot take the rights of su again", {{"file", j.path}, {"error", error}});
            return false;
        }
        errno = err;
        if (failed)
            return fail(failed);
        log_.info("created", {{"file", j.path}, {"mode", std::string_view(fmt::format("{:04o}", mode))},
                              {"uid", std::uint64_t{uid}}, {"gid", std::uint64_t{gid}}});
        return true;
    }

    /// Hands j's rotated file to its rotator's background work (compression, retention) and
    /// waits for it, with su's rights; then lets go of the lock.
    void finish(const Su& su, Job& j) {
        if (!j.rotator)
            return;
        if (j.rotated) {
            Identity id;
            std::string error;
            if (su.set && !id.enter(su.uid, su.gid, error)) {
                log_.error("cannot take the rights of su", {{"file", j.path}, {"error", error}});
                failed_ = true;
            } else {
                // The new rotation first: what resume_compression then finds queued it leaves alone.
                j.rotator->rotated(j.to);
                j.rotator->resume_compression(false);
                if (!j.rotator->wait())
                    failed_ = true;
            }
        }
        j.rotator.reset();
        j.lock.reset();
    }

    /// user_id and group_id, each name looked up once a run: create names the same few for
    /// every log of a block.
    std::optional<uid_t> cached_user(const std::string& name) {
        auto it = users_.find(name);
        return it != users_.end() ? it->second : (users_[name] = user_id(name));
    }
    std::optional<gid_t> cached_group(const std::string& name) {
        auto it = groups_.find(name);
        return it != groups_.end() ? it->second : (groups_[name] = group_id(name));
    }

    const config::Config& cfg_;
    const Options& o_;
    log::Logger& log_;
    out::Sink& out_;
    const std::int64_t now_;
    State state_;
    State imported_; ///< logrotate's records, on the first run
    Su su_;          ///< the su of the block being done, for its scripts
    std::map<std::string, Rotator::Listing> listings_; ///< by directory, for share_listing
    std::map<std::string, std::optional<uid_t>> users_;
    std::map<std::string, std::optional<gid_t>> groups_;
    bool state_changed_ = false, failed_ = false, any_rotated_ = false;
};

} // namespace

bool report_config(const config::Config& cfg) {
    for (const auto& w : cfg.warnings)
        cli::warn(fmt::format("{}:{}", w.file, w.line), w.text);
    for (const auto& e : cfg.errors)
        cli::error(e.line ? fmt::format("{}:{}", e.file, e.line) : e.file, e.text);
    return !cfg.errors.empty();
}

int run_config(const config::Config& cfg, const Options& o, log::Logger& log, out::Sink& out) {
    const bool bad = report_config(cfg);
    int status = Batch(cfg, o, log, out).run();
    return bad ? cli::exit_trouble : status;
}

int run_config_mode(const Options& o) {
    const std::string& path = o.mode == Mode::convert ? o.convert : o.config;
    config::Config cfg;
    std::string error;
    if (!config::load(path, cfg, error)) {
        cli::error(path, error);
        return cli::exit_trouble;
    }
    out::Sink out;
    if (o.mode == Mode::convert)
        return out::finish(out, run_convert(cfg, out));
    // A reader of a script's output that has gone must show as EPIPE, not kill logroll.
    ::signal(SIGPIPE, SIG_IGN);
    log::Logger log(o.log_format);
    set_up_log(log, o);
    return out::finish(out, run_config(cfg, o, log, out));
}

int run_convert(const config::Config& cfg, out::Sink& out) {
    out.line("# logroll configuration: logrotate's syntax, the directives logroll(1) lists under CONFIGURATION.");
    out.line("# Rotated files are numbered NAME.1, NAME.2, ... with the newest highest (logrotate: NAME.1 is the");
    out.line("# newest), or, with dateext, named NAME.YYYYMMDDTHHMMSSZ in UTC; defaults are written into each block.");
    for (const auto& c : cfg.global_comments)
        out.line("# " + c);
    for (const auto& e : cfg.errors)
        out.line(fmt::format("# left out: {}:{}: {}", e.file, e.line, e.text));
    for (const auto& b : cfg.blocks) {
        out.line("");
        out.write(config::to_text(b));
    }
    return cfg.errors.empty() ? cli::exit_ok : cli::exit_trouble;
}

} // namespace syskit::logroll
