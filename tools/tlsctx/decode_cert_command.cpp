// `tlsctx decode-cert FILE`: a certificate file (PEM or DER) as Python's
// ssl._ssl._test_decode_cert(FILE) dict, in JSON or as pprint prints it.
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tls/certificate.hpp"
#include "tls/printing.hpp"
#include "tlsctx/commands.hpp"
#include "tlsctx/json_shapes.hpp"

namespace tlsctx_tool {
namespace {

struct DecodeCertOptions {
    std::string file;
    bool pretty = false;
    bool pprint = false;
};

void run_decode_cert(const DecodeCertOptions& options) {
    tls::CertificateInfo info = tls::decode_certificate_file(options.file);
    if (options.pprint) {
        // Byte for byte what pprint.pprint(ssl._ssl._test_decode_cert(FILE)) prints.
        std::cout << info << '\n';
    } else if (options.pretty) {
        std::cout << json_dump(certificate_to_ordered_json(info), 2) << '\n';
    } else {
        // Byte for byte what json.dumps(ssl._ssl._test_decode_cert(FILE)) prints.
        std::cout << tls::to_json(info) << '\n';
    }
}

}  // namespace

void add_decode_cert_command(CLI::App& app) {
    auto options = std::make_shared<DecodeCertOptions>();
    CLI::App* cmd = app.add_subcommand(
        "decode-cert", "Print a certificate (PEM or DER) as Python's getpeercert() dict in JSON");
    cmd->add_option("FILE", options->file, "The certificate file")->required();
    auto* pretty = cmd->add_flag("--pretty", options->pretty,
                                 "Indent the JSON (default: exactly Python's json.dumps output)");
    cmd->add_flag("--pprint", options->pprint,
                  "Print the dict as Python's pprint.pprint does instead of JSON")
        ->excludes(pretty);
    cmd->callback([options] { run_decode_cert(*options); });
}

}  // namespace tlsctx_tool
