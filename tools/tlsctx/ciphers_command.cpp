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

namespace tlsctx_tool {
namespace {

struct CiphersOptions {
    std::string policy;
    std::string cipher_string;
    bool json = false;
};

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
        // Byte for byte what json.dumps(ctx.get_ciphers()) prints.
        std::cout << tls::to_json(ciphers) << '\n';
        return;
    }
    for (const tls::CipherInfo& cipher : ciphers) {
        char line[256];
        std::snprintf(line, sizeof line, "%-32s %-8s %3d bits  %-9s %-10s %-17s %s\n",
                      cipher.name.c_str(), cipher.protocol.c_str(), cipher.strength_bits,
                      cipher.kea.value_or("-").c_str(), cipher.auth.value_or("-").c_str(),
                      cipher.symmetric.value_or("-").c_str(),
                      cipher.aead ? "aead" : cipher.digest.value_or("-").c_str());
        std::cout << line;
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
                  "Print a JSON array with the keys of Python's get_ciphers() dicts");
    cmd->callback([options] { run_ciphers(*options); });
}

}  // namespace tlsctx_tool
