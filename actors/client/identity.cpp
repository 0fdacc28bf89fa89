#include "actors/client/identity.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "actors/common/error.hpp"
#include "actors/common/private_files.hpp"

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
  if (auto err = make_private_dir(fs::path{path}.parent_path().string()))
    return err;
  auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0)
    return make_error(errc::io_error, tmp);
  auto ok = ::write(fd, text.data(), text.size())
              == static_cast<ssize_t>(text.size())
            && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return make_error(errc::io_error, path);
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

caf::expected<crypto::key> create_identity(const std::string& dir, int bits,
                                           const std::string& passphrase) {
  auto path = dir + "/identity.pem";
  if (fs::exists(path))
    return make_error(errc::io_error, path + " already exists");
  auto key = crypto::generate_rsa(bits);
  if (!key)
    return key.error();
  auto pem = crypto::private_key_to_pem(*key, passphrase);
  if (!pem)
    return pem.error();
  if (auto err = write_file_atomic(path, *pem, 0600))
    return err;
  return key;
}

caf::expected<crypto::key> load_identity(const std::string& dir,
                                         const std::string& passphrase) {
  auto pem = read_file(dir + "/identity.pem");
  if (!pem)
    return make_error(errc::io_error,
                      "no identity in " + dir + " (run courier-cli init)");
  auto key = crypto::private_key_from_pem(*pem, passphrase);
  if (key && !crypto::is_rsa_identity(*key))
    return make_error(errc::bad_key, dir + "/identity.pem is not an RSA "
                                     "identity key Courier made");
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
  auto pem = crypto::private_key_to_pem(*key, "");
  if (!pem)
    return pem.error();
  if (auto err = write_file_atomic(path, *pem, 0600))
    return err;
  created = true;
  return key;
}

} // namespace courier
