// tlsctx — tls::CertFileWatcher: reloads a live Context when its certificate, key or CA files
// change on disk (a renewal by certbot, cert-manager or a deploy script), for servers that would
// rather not wire SIGHUP themselves. Docs: docs/server.md.
//
// It polls: every `interval` it compares each file's identity and change time (stat(), following
// symbolic links, so an atomically replaced symlink counts) with what it saw last, and reloads
// through Context::set_cert_chains / reload_verify_locations when anything moved. A reload that
// fails (a half-written file, a key that is not yet the new one) keeps the old material and is
// retried when the files change again, so a renewal written in two steps ends in the right state.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tls/cert_chain.hpp"
#include "tls/context.hpp"
#include "tls/export.hpp"

namespace tls {

/// Where one chain comes from (CertChain::load's arguments).
struct CertChainFiles {
    std::string certfile;  ///< PEM: the leaf first, then intermediates
    std::string keyfile;   ///< empty: the key is in certfile
    std::string password;  ///< for an encrypted key; empty: none
};

/// What a check found.
struct ReloadEvent {
    bool reloaded = false;          ///< true: the new material is live; false: the reload failed
    std::vector<CertChain> chains;  ///< what new handshakes get now
    std::exception_ptr error;       ///< why it failed (std::system_error, SSLError, ...)
    std::string message;            ///< the error's what(), empty on success
};

/// Reloads a live Context when its certificate, key or CA files change on disk (docs/server.md):
/// every Options::interval, or at check_now(), it compares each file's identity and change time
/// with what it saw last. A reload that fails keeps the old material and is retried at the next
/// change, so a renewal written in two steps ends in the right state.
class TLS_API CertFileWatcher {
  public:
    /// What to watch and how often.
    struct Options {
        /// The chains to reload, one per key type (at least one, unless cafile/capath is set).
        std::vector<CertChainFiles> chains;
        /// Trust anchors and CRLs to reload with reload_verify_locations (empty: not watched).
        /// @{
        std::string cafile;
        std::string capath;
        /// @}
        /// How often the background thread looks. Zero: no thread; call check_now() yourself
        /// (from your own timer or SIGHUP handler thread).
        std::chrono::milliseconds interval = std::chrono::seconds(5);
        /// Called after every reload attempt, on the thread that made it. Exceptions it throws
        /// are swallowed: they must not stop the watching.
        std::function<void(const ReloadEvent&)> on_reload;
    };

    /// Starts watching: the files' current state is taken as what `context` already serves, so
    /// the first reload happens at the first change. @throws std::invalid_argument when there is
    /// nothing to watch.
    CertFileWatcher(Context context, Options options);
    /// Stops the thread (waiting at most for a reload in progress).
    ~CertFileWatcher();
    CertFileWatcher(const CertFileWatcher&) = delete;
    CertFileWatcher& operator=(const CertFileWatcher&) = delete;

    /// Looks at the files now and reloads when they changed since the last attempt; returns
    /// true when it reloaded. Never throws for a bad file: that is a failed ReloadEvent.
    bool check_now();
    /// Reloads now whether or not the files changed (SIGHUP semantics). Returns the outcome.
    ReloadEvent reload_now();

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace tls
