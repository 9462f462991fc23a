// `tlsctx decode-cert FILE`: a certificate file (PEM or DER) as Python's
// ssl._ssl._test_decode_cert(FILE) dict.
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tls/certificate.hpp"
#include "tlsctx/commands.hpp"
#include "tlsctx/json_shapes.hpp"

namespace tlsctx_tool {
namespace {

struct DecodeCertOptions {
    std::string file;
    bool pretty = false;
};

void run_decode_cert(const DecodeCertOptions& options) {
    tls::CertificateInfo info = tls::decode_certificate_file(options.file);
    nlohmann::ordered_json json = certificate_to_ordered_json(info);
    if (options.pretty) {
        std::cout << json_dump(json, 2) << '\n';
    } else {
        // Byte for byte what json.dumps(ssl._ssl._test_decode_cert(FILE)) prints.
        std::cout << dumps_like_python(json) << '\n';
    }
}

}  // namespace

void add_decode_cert_command(CLI::App& app) {
    auto options = std::make_shared<DecodeCertOptions>();
    CLI::App* cmd = app.add_subcommand(
        "decode-cert", "Print a certificate (PEM or DER) as Python's getpeercert() dict in JSON");
    cmd->add_option("FILE", options->file, "The certificate file")->required();
    cmd->add_flag("--pretty", options->pretty,
                  "Indent the JSON (default: exactly Python's json.dumps output)");
    cmd->callback([options] { run_decode_cert(*options); });
}

}  // namespace tlsctx_tool
