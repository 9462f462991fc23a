// `tlsctx verify`: offline chain verification with exactly the checks of a default tlsctx client
// (or, with --client, of a server context with CERT_REQUIRED), through
// tls::verify_certificate_chain.
//
//   tlsctx verify --roots R.pem [--intermediates I.pem] --leaf L.pem [--dns NAME | --ip ADDR]
//                 [--time UNIX_SECONDS] [--client] [--max-depth N] [--crls C.pem]
//                 [--email ADDR] [--profile standard|web-pki] [--json]
//
// Exit status: 0 the chain is accepted, 1 rejected (the depth, the subject there, the verify code
// and message on stderr),
// 2 the request cannot be expressed (unreadable file, PEM that does not parse, bad option).
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "tls/certificate.hpp"
#include "tls/verify.hpp"
#include "tlsctx/commands.hpp"
#include "tlsctx/json_shapes.hpp"

namespace tlsctx_tool {
namespace {

struct VerifyOptions {
    std::vector<std::string> roots;
    std::vector<std::string> intermediates;
    std::string leaf;
    std::string dns;
    std::string ip;
    std::string email;
    std::optional<std::int64_t> time;
    bool client = false;
    std::optional<int> max_depth;
    std::vector<std::string> crls;
    bool crl_check_chain = false;
    bool hostname_checks_common_name = false;
    std::string profile = "standard";
    bool json = false;
    bool pretty = false;
};

std::string read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::system_error(errno, std::generic_category(), "cannot open '" + path + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        throw std::system_error(errno, std::generic_category(), "cannot read '" + path + "'");
    }
    return text.str();
}

std::vector<std::string> read_files(const std::vector<std::string>& paths) {
    std::vector<std::string> out;
    out.reserve(paths.size());
    for (const std::string& path : paths) {
        out.push_back(read_whole_file(path));
    }
    return out;
}

tls::VerifyRequest make_request(const VerifyOptions& options) {
    tls::VerifyRequest request;
    request.trusted_pem = read_files(options.roots);
    // A peer may send no intermediates, so an empty bundle file means none; the library refuses
    // an entry without a certificate, so the entry is left out rather than passed on empty.
    for (std::string& bundle : read_files(options.intermediates)) {
        if (bundle.find_first_not_of(" \t\r\n") != std::string::npos) {
            request.intermediates_pem.push_back(std::move(bundle));
        }
    }
    request.leaf_pem = read_whole_file(options.leaf);
    request.crls_pem = read_files(options.crls);
    request.dns_name = options.dns;
    request.ip_address = options.ip;
    if (options.time) {
        request.at_time =
            std::chrono::system_clock::time_point(std::chrono::seconds(*options.time));
    }
    request.purpose = options.client ? tls::Purpose::CLIENT_AUTH : tls::Purpose::SERVER_AUTH;
    request.max_depth = options.max_depth;
    if (options.crl_check_chain) {
        request.flags |= tls::VerifyFlags::VERIFY_CRL_CHECK_CHAIN;
    }
    request.hostname_checks_common_name = options.hostname_checks_common_name;
    request.email_address = options.email;
    request.profile =
        options.profile == "web-pki" ? tls::VerifyProfile::web_pki : tls::VerifyProfile::standard;
    return request;
}

// A certificate the verifier accepted may still hold names the decoder refuses (Python raises for
// them too): the verdict must not turn into an error because of the report.
nlohmann::ordered_json chain_entry(const tls::Bytes& der) {
    try {
        std::string text(der.begin(), der.end());
        return certificate_to_ordered_json(tls::decode_certificate(text));
    } catch (const std::exception& e) {
        return nlohmann::ordered_json{{"error", e.what()}};
    }
}

std::string subject_line(const tls::Bytes& der) {
    try {
        std::string text(der.begin(), der.end());
        return name_text(tls::decode_certificate(text).subject);
    } catch (const std::exception& e) {
        return std::string("<cannot decode: ") + e.what() + ">";
    }
}

// The subject of the certificate that failed, when the chain reached it.
std::optional<std::string> failed_subject(const tls::VerifyResult& result) {
    if (result.ok || result.error_depth < 0 ||
        static_cast<std::size_t>(result.error_depth) >= result.chain.size()) {
        return std::nullopt;
    }
    return subject_line(result.chain[static_cast<std::size_t>(result.error_depth)]);
}

void run_verify(const VerifyOptions& options) {
    tls::VerifyResult result;
    try {
        result = tls::verify_certificate_chain(make_request(options));
    } catch (const std::exception& e) {
        std::cout.flush();
        std::cerr << "error: verify: cannot express the request: " << describe_exception(e) << '\n';
        throw ExitStatus{kExitUsage};
    }

    const std::optional<std::string> subject = failed_subject(result);
    if (options.json) {
        nlohmann::ordered_json out;
        out["ok"] = result.ok;
        out["verify_code"] = result.verify_code;
        out["verify_message"] = result.verify_message;
        out["error_depth"] = result.error_depth;
        out["error_subject"] = subject ? nlohmann::ordered_json(*subject) : nullptr;
        nlohmann::ordered_json chain = nlohmann::ordered_json::array();
        for (const tls::Bytes& der : result.chain) {
            chain.push_back(chain_entry(der));
        }
        out["chain"] = std::move(chain);
        std::cout << json_text(out, options.pretty) << '\n';
    } else {
        if (result.ok) {
            std::cout << "OK\n";
        } else {
            std::cout << "REJECTED at depth " << result.error_depth << ": " << result.verify_message
                      << " (verify_code " << result.verify_code << ")\n";
        }
        // The verified chain, or as far as it was built before the failure.
        for (std::size_t depth = 0; depth < result.chain.size(); ++depth) {
            std::cout << "depth " << depth << ": " << subject_line(result.chain[depth])
                      << (static_cast<int>(depth) == result.error_depth ? "  <- failed here" : "")
                      << '\n';
        }
    }
    std::cout.flush();
    if (!result.ok) {
        std::cerr << "error: rejected at depth " << result.error_depth << " ("
                  << subject.value_or("certificate not in the chain built")
                  << "): " << result.verify_code << ' ' << result.verify_message << '\n';
        throw ExitStatus{kExitFailure};
    }
}

}  // namespace

void add_verify_command(CLI::App& app) {
    auto options = std::make_shared<VerifyOptions>();
    CLI::App* cmd = app.add_subcommand(
        "verify",
        "Verify a certificate chain offline with a default client's checks (exit 0 accepted, "
        "1 rejected, 2 the request cannot be expressed)");
    cmd->add_option("--roots", options->roots, "Trust anchors (PEM, one or more per file)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--intermediates", options->intermediates,
                    "Untrusted intermediates the peer sent (PEM, one or more per file)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--leaf", options->leaf,
                    "The peer's certificate (PEM; further certificates count as intermediates)")
        ->required()
        ->check(CLI::ExistingFile);
    CLI::Option* dns = cmd->add_option(
        "--dns", options->dns, "Expected DNS name (a client's server_hostname); default: none");
    CLI::Option* ip =
        cmd->add_option("--ip", options->ip, "Expected IP address (matches IP SANs only)");
    dns->excludes(ip);
    cmd->add_option("--email", options->email,
                    "Expected email address (rfc822Name SANs; a client certificate's identity)");
    cmd->add_option("--time", options->time,
                    "Check validity at this time (seconds since the epoch); default: now");
    cmd->add_flag("--client", options->client,
                  "Verify a client certificate, as a server with CERT_REQUIRED does");
    cmd->add_option("--max-depth", options->max_depth,
                    "Most intermediates between the leaf and the trust anchor")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--crls", options->crls,
                    "CRLs (PEM); the leaf must then be covered by a CRL from its issuer")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--crl-check-chain", options->crl_check_chain,
                  "With --crls: require a CRL for every CA in the chain, not just the leaf's");
    cmd->add_flag("--hostname-checks-common-name", options->hostname_checks_common_name,
                  "Match --dns against the subject CN of a certificate without DNS SANs");
    cmd->add_option("--profile", options->profile,
                    "Rules beyond OpenSSL's: standard (Python's behaviour) or web-pki (RFC 5280 "
                    "and CA/Browser Forum rules, as browsers apply them); default: standard")
        ->check(CLI::IsMember({"standard", "web-pki"}));
    cmd->add_flag("--json", options->json,
                  "Print {ok, verify_code, verify_message, error_depth, error_subject, chain} "
                  "as one line of JSON");
    cmd->add_flag("--pretty", options->pretty, "Print the JSON indented (implies --json)");
    cmd->callback([options] {
        options->json = options->json || options->pretty;
        run_verify(*options);
    });
}

}  // namespace tlsctx_tool
