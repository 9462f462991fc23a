// `tlsctx decode-cert FILE`: every certificate of a file (PEM bundle or one DER certificate) as
// Python's ssl._ssl._test_decode_cert(FILE) dict, with the fingerprints and extensions Python
// leaves out; in JSON (one line per certificate) or as pprint prints it.
#include <cerrno>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>

#include "tls/certificate.hpp"
#include "tls/certificate_details.hpp"
#include "tls/printing.hpp"
#include "tlsctx/commands.hpp"
#include "tlsctx/json_shapes.hpp"

namespace tlsctx_tool {
namespace {

using Json = nlohmann::ordered_json;

struct DecodeCertOptions {
    std::string file;
    bool pretty = false;
    bool pprint = false;
    bool python = false;
};

std::string read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::system_error(errno, std::generic_category(), "cannot open '" + path + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The CERTIFICATE blocks of a PEM file in file order, or the whole file when it has none (DER,
// or garbage that decode_certificate will name).
std::vector<std::string> certificate_blocks(const std::string& text) {
    const std::string header(tls::PEM_HEADER);
    const std::string footer(tls::PEM_FOOTER);
    std::vector<std::string> blocks;
    for (std::size_t at = text.find(header); at != std::string::npos;
         at = text.find(header, at + 1)) {
        const std::size_t end = text.find(footer, at);
        if (end == std::string::npos) {
            break;  // a truncated last block: decode_certificate reports it below
        }
        blocks.push_back(text.substr(at, end + footer.size() - at));
    }
    if (blocks.empty()) {
        blocks.push_back(text);
    }
    return blocks;
}

// Python's dict, then the keys Python lacks: "fingerprints" and "extensions".
Json certificate_json(const std::string& block, bool python_only) {
    Json out = certificate_to_ordered_json(tls::decode_certificate(block));
    if (python_only) {
        return out;
    }
    const tls::CertificateDetails details = tls::certificate_details(block);
    out["fingerprints"] =
        Json{{"sha256", details.sha256_fingerprint}, {"sha1", details.sha1_fingerprint}};
    Json extensions = Json::array();
    for (const tls::CertificateExtension& extension : details.extensions) {
        extensions.push_back(Json{{"name", extension.name},
                                  {"critical", extension.critical},
                                  {"value", extension.value}});
    }
    out["extensions"] = std::move(extensions);
    return out;
}

void run_decode_cert(const DecodeCertOptions& options) {
    const std::vector<std::string> blocks = certificate_blocks(read_whole_file(options.file));
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        if (options.pprint) {
            // Byte for byte what pprint.pprint(ssl._ssl._test_decode_cert(FILE)) prints, for
            // each certificate; a bundle gets a comment line before each.
            if (blocks.size() > 1) {
                std::cout << "# certificate " << i + 1 << " of " << blocks.size() << "\n";
            }
            std::cout << tls::decode_certificate(blocks[i]) << '\n';
        } else if (options.python && !options.pretty) {
            // Byte for byte what json.dumps(ssl._ssl._test_decode_cert(FILE)) prints.
            std::cout << tls::to_json(tls::decode_certificate(blocks[i])) << '\n';
        } else {
            std::cout << json_text(certificate_json(blocks[i], options.python), options.pretty)
                      << '\n';
        }
    }
}

}  // namespace

void add_decode_cert_command(CLI::App& app) {
    auto options = std::make_shared<DecodeCertOptions>();
    CLI::App* cmd = app.add_subcommand(
        "decode-cert",
        "Print every certificate of a file (PEM bundle or DER) as Python's getpeercert() dict "
        "plus SHA-256/SHA-1 fingerprints and extensions, one JSON object per line");
    cmd->add_option("FILE", options->file, "The certificate file")->required();
    auto* pretty = cmd->add_flag("--pretty", options->pretty, "Indent the JSON");
    auto* python = cmd->add_flag("--python", options->python,
                                 "Only Python's dict: exactly json.dumps(ssl._ssl._test_decode_"
                                 "cert(FILE)) per certificate, no fingerprints or extensions");
    cmd->add_flag("--pprint", options->pprint,
                  "Print Python's dict as pprint.pprint does instead of JSON")
        ->excludes(pretty)
        ->excludes(python);
    cmd->callback([options] { run_decode_cert(*options); });
}

}  // namespace tlsctx_tool
