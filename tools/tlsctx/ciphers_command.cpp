// `tlsctx ciphers`: the suites a cipher policy or string enables, as Python's get_ciphers().
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tls/context.hpp"
#include "tls/dangerous.hpp"
#include "tls/printing.hpp"
#include "tlsctx/commands.hpp"
#include "tlsctx/json_shapes.hpp"

namespace tlsctx_tool {
namespace {

struct CiphersOptions {
    std::string policy;
    std::string cipher_string;
    bool json = false;
    bool pretty = false;
};

std::string version_text(tls::TLSVersion version) {
    switch (version) {
        case tls::TLSVersion::SSLv3:
            return "SSLv3";
        case tls::TLSVersion::TLSv1:
            return "TLSv1";
        case tls::TLSVersion::TLSv1_1:
            return "TLSv1.1";
        case tls::TLSVersion::TLSv1_2:
            return "TLSv1.2";
        case tls::TLSVersion::TLSv1_3:
            return "TLSv1.3";
        case tls::TLSVersion::MINIMUM_SUPPORTED:
            return "the lowest version OpenSSL allows";
        case tls::TLSVersion::MAXIMUM_SUPPORTED:
            return "TLSv1.3";
        default:
            return "?";
    }
}

void print_row(const std::string& name, const std::string& version, const std::string& bits,
               const std::string& kx, const std::string& auth, const std::string& symmetric,
               const std::string& mac) {
    char line[256];
    std::snprintf(line, sizeof line, "%-32s %-11s %4s  %-9s %-10s %-17s %s\n", name.c_str(),
                  version.c_str(), bits.c_str(), kx.c_str(), auth.c_str(), symmetric.c_str(),
                  mac.c_str());
    std::cout << line;
}

void run_ciphers(const CiphersOptions& options) {
    tls::Context context;  // a client context, as Python's SSLContext(PROTOCOL_TLS_CLIENT)
    if (!options.policy.empty()) {
        std::optional<tls::CipherPolicy> policy = tls::cipher_policy_from_name(options.policy);
        if (!policy) {
            usage_error("--policy", "unknown policy '" + options.policy + "'");
        }
        context.set_ciphers(*policy);
    } else if (!options.cipher_string.empty()) {
        // This command lists what a string selects, as Python's set_ciphers + get_ciphers do
        // for any string; the context never connects, so a string that lowers the security
        // level (@SECLEVEL=0) is listed rather than refused.
        context.dangerous().set_ciphers(options.cipher_string);
    }
    std::vector<tls::CipherInfo> ciphers = context.get_ciphers();

    if (options.json) {
        if (options.pretty) {
            std::cout << json_text(nlohmann::ordered_json::parse(tls::to_json(ciphers)), true)
                      << '\n';
        } else {
            // Byte for byte what json.dumps(ctx.get_ciphers()) prints.
            std::cout << tls::to_json(ciphers) << '\n';
        }
        return;
    }
    // OpenSSL's "protocol" of a suite is the oldest version that defines it (AES128-SHA says
    // SSLv3), not a version this context would negotiate; the heading says which it is.
    std::cout << "# " << ciphers.size() << " suites, client preference order; MIN-VERSION is the "
              << "oldest protocol that defines the suite. This context negotiates "
              << version_text(context.minimum_version()) << " to "
              << version_text(context.maximum_version()) << ".\n";
    print_row("NAME", "MIN-VERSION", "BITS", "KX", "AUTH", "CIPHER", "MAC");
    for (const tls::CipherInfo& cipher : ciphers) {
        print_row(cipher.name, cipher.protocol, std::to_string(cipher.strength_bits),
                  cipher.kea.value_or("-"), cipher.auth.value_or("-"),
                  cipher.symmetric.value_or("-"),
                  cipher.aead ? "AEAD" : cipher.digest.value_or("-"));
    }
}

}  // namespace

void add_ciphers_command(CLI::App& app) {
    auto options = std::make_shared<CiphersOptions>();
    CLI::App* cmd = app.add_subcommand(
        "ciphers", "List the cipher suites a policy or cipher string enables (get_ciphers())");
    auto* policy =
        cmd->add_option("--policy", options->policy, "A Python version's default cipher string")
            ->check(CLI::IsMember(std::vector<std::string>{
                "python2.7", "python3.3", "python3.4", "python3.5", "python3.6", "python3.7",
                "python3.7-builtin", "python3.10", "default"}));
    auto* string = cmd->add_option("--string", options->cipher_string, "An OpenSSL cipher string");
    policy->excludes(string);
    cmd->add_flag("--json", options->json,
                  "Print a JSON array with the keys of Python's get_ciphers() dicts, on one line "
                  "(exactly json.dumps(ctx.get_ciphers()))");
    cmd->add_flag("--pretty", options->pretty, "Print the JSON indented (implies --json)");
    cmd->callback([options] {
        options->json = options->json || options->pretty;
        run_ciphers(*options);
    });
}

}  // namespace tlsctx_tool
