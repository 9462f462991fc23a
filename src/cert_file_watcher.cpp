// tls::CertFileWatcher: polling certificate files and reloading a live context when they change.
#include "tls/cert_file_watcher.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

namespace tls {
namespace {

// What stat() says about a file, enough to notice a rewrite, a rename over it or a symlink
// pointed elsewhere. A missing file is a state too (errno), so its return counts as a change.
struct FileState {
    int error = 0;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    long long mtime_ns = 0;
    long long ctime_ns = 0;

    friend bool operator==(const FileState& a, const FileState& b) {
        return a.error == b.error && a.device == b.device && a.inode == b.inode &&
               a.size == b.size && a.mtime_ns == b.mtime_ns && a.ctime_ns == b.ctime_ns;
    }
};

FileState look_at(const std::string& path) {
    FileState state;
    if (path.empty()) {
        return state;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        state.error = errno;
        return state;
    }
    state.device = st.st_dev;
    state.inode = st.st_ino;
    state.size = st.st_size;
    state.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    state.ctime_ns = static_cast<long long>(st.st_ctim.tv_sec) * 1000000000LL + st.st_ctim.tv_nsec;
    return state;
}

}  // namespace

struct CertFileWatcher::State {
    State(Context c, Options o) : context(std::move(c)), options(std::move(o)) {}

    std::vector<std::string> paths() const {
        std::vector<std::string> out;
        for (const CertChainFiles& files : options.chains) {
            out.push_back(files.certfile);
            out.push_back(files.keyfile);
        }
        out.push_back(options.cafile);
        out.push_back(options.capath);
        return out;
    }
    std::vector<FileState> look() const {
        std::vector<FileState> out;
        for (const std::string& path : paths()) {
            out.push_back(look_at(path));
        }
        return out;
    }

    // A failure anywhere changes nothing: the chains are loaded and checked before they are
    // published, and if the trust files then fail, the previous chains go back.
    ReloadEvent reload() {
        ReloadEvent event;
        try {
            std::vector<CertChain> chains;
            for (const CertChainFiles& files : options.chains) {
                chains.push_back(CertChain::load(files.certfile, files.keyfile, files.password));
            }
            std::vector<CertChain> previous = context.cert_chains();
            if (!chains.empty()) {
                context.set_cert_chains(chains);
            }
            if (!options.cafile.empty() || !options.capath.empty()) {
                try {
                    context.reload_verify_locations(options.cafile, options.capath);
                } catch (...) {
                    if (!chains.empty() && !previous.empty()) {
                        context.set_cert_chains(previous);
                    }
                    throw;
                }
            }
            event.reloaded = true;
        } catch (const std::exception& e) {
            event.error = std::current_exception();
            event.message = e.what();
        }
        event.chains = context.cert_chains();
        if (options.on_reload) {
            try {
                options.on_reload(event);
            } catch (...) {
                // Documented: the callback cannot stop the watching.
            }
        }
        return event;
    }

    bool check() {
        std::lock_guard<std::mutex> lock(reload_mutex);
        std::vector<FileState> now = look();
        if (now == seen) {
            return false;
        }
        // Remembered whatever the outcome: a broken file is retried when it changes again,
        // not every interval.
        seen = std::move(now);
        return reload().reloaded;
    }

    void run() {
        std::unique_lock<std::mutex> lock(stop_mutex);
        while (!stop_cv.wait_for(lock, options.interval, [this] { return stopping; })) {
            lock.unlock();
            check();
            lock.lock();
        }
    }

    Context context;
    const Options options;
    std::mutex reload_mutex;  // one reload at a time; guards `seen`
    std::vector<FileState> seen;
    std::mutex stop_mutex;
    std::condition_variable stop_cv;
    bool stopping = false;
    std::thread thread;
};

CertFileWatcher::CertFileWatcher(Context context, Options options) {
    if (options.chains.empty() && options.cafile.empty() && options.capath.empty()) {
        throw std::invalid_argument("CertFileWatcher: no certificate or CA file to watch");
    }
    for (const CertChainFiles& files : options.chains) {
        if (files.certfile.empty()) {
            throw std::invalid_argument("CertFileWatcher: a chain without a certfile");
        }
    }
    if (options.interval < std::chrono::milliseconds(0)) {
        throw std::invalid_argument("CertFileWatcher: a negative interval");
    }
    state_ = std::make_shared<State>(std::move(context), std::move(options));
    state_->seen = state_->look();
    if (state_->options.interval > std::chrono::milliseconds(0)) {
        state_->thread = std::thread([state = state_.get()] { state->run(); });
    }
}

CertFileWatcher::~CertFileWatcher() {
    if (!state_) {
        return;
    }
    {
        std::lock_guard<std::mutex> lock(state_->stop_mutex);
        state_->stopping = true;
    }
    state_->stop_cv.notify_all();
    if (state_->thread.joinable()) {
        state_->thread.join();
    }
}

bool CertFileWatcher::check_now() {
    return state_->check();
}

ReloadEvent CertFileWatcher::reload_now() {
    std::lock_guard<std::mutex> lock(state_->reload_mutex);
    state_->seen = state_->look();
    return state_->reload();
}

}  // namespace tls
