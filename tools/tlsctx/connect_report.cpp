// What `tlsctx connect` prints about a connection: the human report and the JSON object
// (docs/command.md lists the JSON keys, which are stable).
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "tls/certificate.hpp"
#include "tls/certificate_details.hpp"
#include "tls/printing.hpp"
#include "tlsctx/connect.hpp"
#include "tlsctx/json_shapes.hpp"

namespace tlsctx_tool {
namespace {

using Json = nlohmann::ordered_json;

// One certificate of --showcerts: where it sits in the verified chain (-1: not in it).
struct ShownCert {
    tls::Bytes der;
    int verified_depth = -1;
};

// Every certificate the peer sent, in its order, then those verification added from the local
// trust store (the anchor, usually), each with its depth in the verified chain. Without
// verification no certificate has a depth: OpenSSL still builds a chain under CERT_NONE, but
// nothing vouches for it.
std::pair<std::vector<ShownCert>, std::vector<ShownCert>> shown_certs(const tls::Socket& socket,
                                                                      bool verified) {
    const std::vector<tls::Bytes> chain =
        verified ? socket.get_verified_chain() : std::vector<tls::Bytes>{};
    auto depth_of = [&chain](const tls::Bytes& der) {
        auto it = std::find(chain.begin(), chain.end(), der);
        return it == chain.end() ? -1 : static_cast<int>(it - chain.begin());
    };
    std::vector<ShownCert> sent;
    for (tls::Bytes& der : socket.get_unverified_chain()) {
        const int depth = depth_of(der);
        sent.push_back({std::move(der), depth});
    }
    std::vector<ShownCert> added;
    for (std::size_t depth = 0; depth < chain.size(); ++depth) {
        const bool was_sent = std::any_of(
            sent.begin(), sent.end(), [&](const ShownCert& c) { return c.der == chain[depth]; });
        if (!was_sent) {
            added.push_back({chain[depth], static_cast<int>(depth)});
        }
    }
    return {std::move(sent), std::move(added)};
}

std::string as_text(const tls::Bytes& der) {
    return std::string(der.begin(), der.end());
}

void print_cert_human(const ShownCert& cert, const std::string& label) {
    std::cout << "  " << label << ": "
              << (cert.verified_depth >= 0
                      ? "verified chain depth " + std::to_string(cert.verified_depth)
                      : std::string("not in the verified chain"))
              << "\n";
    try {
        const tls::CertificateInfo info = tls::decode_certificate(as_text(cert.der));
        std::cout << "    subject:    " << name_text(info.subject) << "\n"
                  << "    issuer:     " << name_text(info.issuer) << "\n"
                  << "    notBefore:  " << info.not_before << "\n"
                  << "    notAfter:   " << info.not_after << "\n";
        if (!info.subject_alt_name.empty()) {
            std::string names;
            for (const tls::GeneralName& name : info.subject_alt_name) {
                names += (names.empty() ? "" : ", ") + name.type + ":" + name.value;
            }
            std::cout << "    subjectAltName: " << names << "\n";
        }
        std::cout << "    sha256:     "
                  << tls::certificate_details(as_text(cert.der)).sha256_fingerprint << "\n";
    } catch (const std::exception& e) {
        std::cout << "    (cannot decode: " << e.what() << ")\n";
    }
    std::cout << tls::DER_cert_to_PEM_cert(cert.der);
}

Json cert_json(const ShownCert& cert) {
    Json out = Json::object();
    out["verified_depth"] = cert.verified_depth >= 0 ? Json(cert.verified_depth) : Json(nullptr);
    try {
        out["certificate"] =
            certificate_to_ordered_json(tls::decode_certificate(as_text(cert.der)));
    } catch (const std::exception& e) {
        out["certificate"] = Json{{"error", e.what()}};
    }
    try {
        out["sha256_fingerprint"] = tls::certificate_details(as_text(cert.der)).sha256_fingerprint;
    } catch (const std::exception&) {
        out["sha256_fingerprint"] = nullptr;
    }
    out["pem"] = tls::DER_cert_to_PEM_cert(cert.der);
    return out;
}

}  // namespace

void print_connect_human(const tls::Socket& socket, const ConnectFacts& facts) {
    tls::CipherDescription cipher = socket.cipher().value_or(tls::CipherDescription{});
    const std::size_t sent = socket.get_unverified_chain().size();
    std::cout << "connected:   " << format_host_port(facts.target.host, facts.target.port)
              << " (server_hostname \"" << socket.server_hostname() << "\")\n";
    if (facts.starttls) {
        std::cout << "starttls:    " << facts.starttls->protocol << ": \"" << facts.starttls->answer
                  << "\"\n";
    }
    std::cout << "version:     " << socket.version().value_or("?") << "\n"
              << "cipher:      " << cipher.name << " (" << cipher.protocol << ", "
              << cipher.secret_bits << " secret bits)\n"
              << "alpn:        " << socket.selected_alpn_protocol().value_or("(none)") << "\n";
    if (facts.verified) {
        std::cout << "verified:    yes: chain and host name\n"
                  << "chain:       " << socket.get_verified_chain().size()
                  << " verified certificate(s), leaf to trust anchor; the peer sent " << sent
                  << "\n";
    } else {
        std::cout << "verified:    NO: --insecure-no-verify, the peer is not authenticated\n"
                  << "chain:       not verified; the peer sent " << sent << " certificate(s)\n";
    }
    std::cout << "resumed:     " << (socket.session_reused() ? "yes" : "no") << "\n";
    const std::optional<tls::OcspResponseInfo> staple = socket.ocsp_response();
    std::cout << "ocsp staple: "
              << (staple ? staple->cert_status + " (this update " + staple->this_update +
                               ", next update " + staple->next_update.value_or("none") + ")"
                         : std::string("(none)"))
              << "\n";
    if (facts.resume) {
        std::cout << "second connection: "
                  << (!facts.resume->offered ? "NOT resumed: the server gave no session to resume"
                      : facts.resume->resumed
                          ? "resumed (" + facts.resume->version + ")"
                          : "NOT resumed: full handshake (" + facts.resume->version + ")")
                  << "\n";
    }
    std::optional<tls::CertificateInfo> peer = socket.getpeercert();
    // As pprint.pprint(ssl_sock.getpeercert()) shows it in Python's client example.
    std::cout << "peer certificate (getpeercert()):\n"
              << (peer ? tls::to_string(*peer) : "None (none sent)") << "\n";
    if (facts.showcerts) {
        auto [peer_sent, added] = shown_certs(socket, facts.verified);
        std::cout << "certificates sent by the peer: " << peer_sent.size() << "\n";
        for (std::size_t i = 0; i < peer_sent.size(); ++i) {
            print_cert_human(peer_sent[i], "#" + std::to_string(i));
        }
        if (!added.empty()) {
            std::cout << "added from the local trust store: " << added.size() << "\n";
            for (const ShownCert& cert : added) {
                print_cert_human(cert, "trust store");
            }
        }
    }
    if (facts.response) {
        const std::string& response = *facts.response;
        std::cout << "response (" << response.size() << " bytes):\n" << response;
        if (!response.empty() && response.back() != '\n') {
            std::cout << "\n";
        }
    }
    std::cout.flush();
}

void print_connect_json(const tls::Socket& socket, const ConnectFacts& facts, bool pretty) {
    Json out = Json::object();
    out["version"] = socket.version() ? Json(*socket.version()) : nullptr;
    out["cipher"] = socket.cipher() ? cipher_description_to_json(*socket.cipher()) : Json(nullptr);
    std::optional<std::string> alpn = socket.selected_alpn_protocol();
    out["alpn"] = alpn ? Json(*alpn) : nullptr;
    std::optional<tls::CertificateInfo> peer = socket.getpeercert();
    out["peer_certificate"] = peer ? certificate_to_ordered_json(*peer) : Json(nullptr);
    // Python 3.13's get_verified_chain(), null when nothing was verified: under
    // --insecure-no-verify OpenSSL still builds a chain, but nobody checked it.
    std::vector<tls::Bytes> chain = socket.get_verified_chain();
    out["verified_chain_length"] =
        chain.empty() || !facts.verified ? Json(nullptr) : Json(chain.size());
    out["peer_chain_length"] = socket.get_unverified_chain().size();
    const std::optional<tls::OcspResponseInfo> staple = socket.ocsp_response();
    out["ocsp_cert_status"] = staple ? Json(staple->cert_status) : nullptr;
    out["session_reused"] = socket.session_reused();
    out["server_hostname"] = socket.server_hostname();
    out["verified"] = facts.verified;
    if (facts.starttls) {
        out["starttls"] =
            Json{{"protocol", facts.starttls->protocol}, {"answer", facts.starttls->answer}};
    }
    if (facts.resume) {
        Json resume = Json::object();
        resume["session_offered"] = facts.resume->offered;
        resume["resumed"] = facts.resume->resumed;
        resume["version"] =
            facts.resume->version.empty() ? Json(nullptr) : Json(facts.resume->version);
        out["resume"] = std::move(resume);
    }
    if (facts.showcerts) {
        auto [peer_sent, added] = shown_certs(socket, facts.verified);
        Json sent_json = Json::array();
        for (const ShownCert& cert : peer_sent) {
            sent_json.push_back(cert_json(cert));
        }
        Json added_json = Json::array();
        for (const ShownCert& cert : added) {
            added_json.push_back(cert_json(cert));
        }
        out["peer_certificates"] = std::move(sent_json);
        out["trust_store_certificates"] = std::move(added_json);
    }
    if (facts.response) {
        out["response"] = *facts.response;
    }
    std::cout << json_text(out, pretty) << std::endl;
}

}  // namespace tlsctx_tool
