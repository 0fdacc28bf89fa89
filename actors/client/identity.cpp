#include "actors/client/identity.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/common/error.hpp"
#include "actors/common/private_files.hpp"
#include "crypto/bytes.hpp"

namespace courier {

namespace fs = std::filesystem;

std::string data_home(const std::string& override_dir) {
  if (!override_dir.empty())
    return override_dir;
  if (auto xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::string{xdg} + "/courier";
  auto home = std::getenv("HOME");
  return std::string{home ? home : "."} + "/.local/share/courier";
}

std::string user_dir(const std::string& home, const std::string& user) {
  return home + "/" + user;
}

caf::error write_file_atomic(const std::string& path, const std::string& text,
                             unsigned mode) {
  auto dir = fs::path{path}.parent_path().string();
  if (auto err = make_private_dir(dir))
    return err;
  // A fresh name per writer (mkstemp makes it 0600): two programs
  // rewriting the same file cannot write into each other's temp file.
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return make_error(errc::io_error, path + ".tmp");
  auto ok = ::fchmod(fd, static_cast<mode_t>(mode)) == 0;
  for (size_t done = 0; ok && done < text.size();) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    ok = n > 0;
    if (ok)
      done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return make_error(errc::io_error, path);
  }
  // The rename itself is durable once the folder is.
  if (int dfd = ::open(dir.empty() ? "." : dir.c_str(),
                       O_RDONLY | O_DIRECTORY);
      dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return caf::none;
}

caf::expected<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(errc::io_error, path + " cannot be read");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {

// An identity file is a few KiB; anything much larger is not one.
constexpr std::uintmax_t max_identity_file = 64 * 1024;

std::string identity_path(const std::string& dir) {
  return dir + "/identity.pem";
}

/// Reads `dir/identity.pem`, refusing a missing or oversized file.
caf::expected<std::string> read_identity(const std::string& dir) {
  auto path = identity_path(dir);
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec)
    return make_error(errc::io_error,
                      "no identity in " + dir + " (run courier-cli init)");
  if (size > max_identity_file)
    return make_error(errc::bad_key, path + " is too large for a key file");
  return read_file(path);
}

/// Generates a key and writes it with `to_pem`, refusing to overwrite.
template <class ToPem>
caf::expected<crypto::key> create_with(const std::string& dir, int bits,
                                       ToPem to_pem) {
  auto path = identity_path(dir);
  if (fs::exists(path))
    return make_error(errc::io_error, path + " already exists");
  auto key = crypto::generate_rsa(bits);
  if (!key)
    return key.error();
  auto pem = to_pem(*key);
  if (!pem)
    return pem.error();
  auto err = write_file_atomic(path, *pem, 0600);
  crypto::wipe(pem->data(), pem->size());
  if (err)
    return err;
  return key;
}

} // namespace

caf::expected<crypto::key> create_identity(const std::string& dir, int bits,
                                           const std::string& passphrase) {
  // Refused before the (slow) key generation.
  if (passphrase.empty())
    return make_error(errc::passphrase_required);
  return create_with(dir, bits, [&](const crypto::key& k) {
    return crypto::private_key_to_pem(k, passphrase);
  });
}

caf::expected<crypto::key> create_plain_identity(const std::string& dir,
                                                 int bits) {
  return create_with(dir, bits, crypto::private_key_to_plain_pem);
}

caf::error store_identity(const std::string& dir, const crypto::key& key,
                          const std::string& passphrase, bool plain) {
  if (!plain && passphrase.empty())
    return make_error(errc::passphrase_required);
  auto path = identity_path(dir);
  if (fs::exists(path))
    return make_error(errc::io_error, path + " already exists");
  auto pem = plain ? crypto::private_key_to_plain_pem(key)
                   : crypto::private_key_to_pem(key, passphrase);
  if (!pem)
    return pem.error();
  auto err = write_file_atomic(path, *pem, 0600);
  crypto::wipe(pem->data(), pem->size());
  return err;
}

caf::expected<bool> identity_has_passphrase(const std::string& dir) {
  auto pem = read_identity(dir);
  if (!pem)
    return std::move(pem.error());
  auto prot = crypto::protection_of(*pem);
  crypto::wipe(pem->data(), pem->size());
  if (!prot)
    return std::move(prot.error());
  return *prot != crypto::key_protection::none;
}

caf::expected<crypto::key> load_identity(const std::string& dir,
                                         const std::string& passphrase,
                                         identity_notes* notes) {
  auto pem = read_identity(dir);
  if (!pem)
    return std::move(pem.error());
  auto prot = crypto::protection_of(*pem);
  auto key = prot ? crypto::private_key_from_pem(*pem, passphrase)
                  : caf::expected<crypto::key>{prot.error()};
  crypto::wipe(pem->data(), pem->size());
  if (!key)
    return key;
  if (!crypto::is_rsa_identity(*key))
    return make_error(errc::bad_key, identity_path(dir) + " is not an RSA "
                                     "identity key Courier made");
  identity_notes local;
  auto& out = notes ? *notes : local;
  out.unencrypted = *prot == crypto::key_protection::none;
  if (*prot == crypto::key_protection::weak) {
    // Unlocked, so the passphrase is right: write the same key under it
    // with today's KDF. A failure leaves the old file, which still works.
    auto fresh = crypto::private_key_to_pem(*key, passphrase);
    if (!fresh)
      out.upgrade_error = std::move(fresh.error());
    else
      out.upgrade_error = write_file_atomic(identity_path(dir), *fresh, 0600);
    out.upgraded = !out.upgrade_error;
  }
  return key;
}

caf::expected<crypto::key> load_or_create_node_key(const std::string& path,
                                                   bool& created) {
  created = false;
  if (fs::exists(path)) {
    auto pem = read_file(path);
    if (!pem)
      return pem.error();
    return crypto::private_key_from_pem(*pem, "");
  }
  auto key = crypto::generate_ed25519();
  if (!key)
    return key.error();
  auto pem = crypto::private_key_to_plain_pem(*key);
  if (!pem)
    return pem.error();
  if (auto err = write_file_atomic(path, *pem, 0600))
    return err;
  created = true;
  return key;
}

} // namespace courier
