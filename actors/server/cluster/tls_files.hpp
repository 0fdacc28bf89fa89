#pragma once

#include <string>

#include <caf/error.hpp>

namespace courier::cluster {

/// Checks the backbone's TLS files before CAF's OpenSSL module uses them
/// (it reads them only when a connection starts, and then fails quietly):
/// the certificate and key load and belong together, the certificate
/// names this router (`name`, its CN) and verifies against the CA and, if
/// given, the revocation list `crl`. The error says which file is wrong
/// and why.
caf::error check_tls_files(const std::string& cert, const std::string& key,
                           const std::string& ca, const std::string& name,
                           const std::string& crl = "");

} // namespace courier::cluster
