// The `tlsctx` command: a demo of the library and small TLS tools in the style of `openssl
// s_client` / `s_server` / `x509` / `ciphers`, written against the public API only. Each
// subcommand lives in its own file (commands.hpp lists them).
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "tls/version.hpp"
#include "tlsctx/commands.hpp"

namespace {

int run(int argc, char** argv) {
    // Writes to a closed peer must fail with EPIPE, not kill the process (the library sends with
    // MSG_NOSIGNAL; this covers the tool's own descriptors).
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app{"tlsctx: TLS over OpenSSL 3 with Python's ssl model (" + tls::openssl_version() +
                 ")"};
    app.name("tlsctx");
    // Which OpenSSL is linked matters (3.0 and 3.5 differ in key exchange and extensions), so the
    // version line names the running library, not only the headers tlsctx was built with.
    app.set_version_flag("--version", [] {
        return std::string("tlsctx " TLSCTX_TOOL_VERSION "\n") + tls::openssl_version() +
               " (linked; built with " + tls::openssl_build_version() + ")";
    });
    app.require_subcommand(1);
    app.fallthrough(false);
    tlsctx_tool::add_demo_command(app);
    tlsctx_tool::add_connect_command(app);
    tlsctx_tool::add_serve_command(app);
    tlsctx_tool::add_verify_command(app);
    tlsctx_tool::add_decode_cert_command(app);
    tlsctx_tool::add_ciphers_command(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help prints and exits 0; any other parse or validation error is a usage error.
        int code = app.exit(e);
        return code == 0 ? tlsctx_tool::kExitOk : tlsctx_tool::kExitUsage;
    } catch (const tlsctx_tool::ExitStatus& status) {
        return status.code;
    } catch (const std::exception& e) {
        std::cout.flush();
        tlsctx_tool::print_exception(e, std::cerr);
        return tlsctx_tool::exit_code_for(e);
    } catch (...) {
        std::cerr << "error: unknown exception\n";
        return tlsctx_tool::kExitFailure;
    }
    return tlsctx_tool::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    // Building the command line itself may throw (bad_alloc); nothing may escape main.
    try {
        return run(argc, argv);
    } catch (...) {
        std::fputs("error: cannot start tlsctx\n", stderr);
        return tlsctx_tool::kExitFailure;
    }
}
