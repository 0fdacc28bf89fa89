#include "actors/client/backup.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "actors/client/identity.hpp"
#include "actors/common/error.hpp"
#include "crypto/aead.hpp"
#include "crypto/random.hpp"

namespace courier {

namespace {

constexpr std::string_view magic = "COURIERB";
constexpr uint8_t format_version = 1;
constexpr uint8_t kdf_scrypt = 1;
constexpr size_t salt_size = 16;
constexpr size_t check_size = 16;
// magic, version, kdf, log2(N), r, p, salt, nonce, check.
constexpr size_t header_size = 8 + 1 + 1 + 1 + 4 + 4 + salt_size
                               + crypto::aead_nonce_size + check_size;
// The contents: a format byte, then the name and the key's PEM, each as a
// 4-byte big-endian length and its bytes.
constexpr uint8_t contents_format = 1;

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((v >> shift) & 0xff);
}

uint32_t get_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8)
         | uint32_t{p[3]};
}

const uint8_t* bytes_of(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

// 32 bytes of AES key, then the passphrase check: a wrong passphrase is
// told apart from a damaged file (guessing costs the same scrypt either
// way, so the check tells an attacker nothing the tag would not).
caf::expected<crypto::secret> derive(const std::string& passphrase,
                                     crypto::byte_view salt,
                                     const crypto::scrypt_cost& cost) {
  return crypto::scrypt(passphrase, salt, cost,
                        crypto::aead_key_size + check_size);
}

caf::error damaged(const std::string& why) {
  return make_error(errc::backup_damaged, why);
}

} // namespace

caf::expected<std::string> seal_backup(const backup_contents& in,
                                       const std::string& passphrase,
                                       const crypto::scrypt_cost& cost) {
  if (passphrase.empty())
    return make_error(errc::passphrase_required,
                      "a backup needs a passphrase");
  auto pem = crypto::private_key_to_plain_pem(in.identity);
  if (!pem)
    return pem.error();
  crypto::secret plain{1 + 4 + in.user.size() + 4 + pem->size()};
  {
    std::string body;
    body += static_cast<char>(contents_format);
    put_u32(body, static_cast<uint32_t>(in.user.size()));
    body += in.user;
    put_u32(body, static_cast<uint32_t>(pem->size()));
    body += *pem;
    std::copy(body.begin(), body.end(), plain.data());
    crypto::wipe(body.data(), body.size());
    crypto::wipe(pem->data(), pem->size());
  }
  auto salt = crypto::random_bytes(salt_size);
  auto nonce = crypto::random_bytes(crypto::aead_nonce_size);
  auto keys = derive(passphrase, salt, cost);
  if (!keys)
    return keys.error();
  std::string out{magic};
  out += static_cast<char>(format_version);
  out += static_cast<char>(kdf_scrypt);
  out += static_cast<char>(cost.log2_n);
  put_u32(out, cost.r);
  put_u32(out, cost.p);
  out.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  out.append(reinterpret_cast<const char*>(keys->data())
               + crypto::aead_key_size,
             check_size);
  crypto::byte_view key{keys->data(), crypto::aead_key_size};
  auto sealed = crypto::aead_seal(key, nonce, out, plain);
  if (!sealed)
    return sealed.error();
  out.append(reinterpret_cast<const char*>(sealed->data()), sealed->size());
  return out;
}

caf::expected<backup_contents> open_backup(std::string_view file,
                                           const std::string& passphrase) {
  if (file.size() > max_backup_size)
    return damaged("the file is too large to be a Courier backup");
  if (file.size() < header_size + crypto::aead_tag_size
      || file.substr(0, magic.size()) != magic)
    return damaged("the file is not a Courier backup, or is cut short");
  auto* p = bytes_of(file) + magic.size();
  if (p[0] != format_version)
    return make_error(errc::unsupported_version,
                      "the backup was written by a newer Courier");
  if (p[1] != kdf_scrypt)
    return damaged("the backup names an unknown key derivation");
  crypto::scrypt_cost cost{p[2], get_u32(p + 3), get_u32(p + 7)};
  // Bounded before any work: the file, not us, chose these numbers.
  if (cost.log2_n < 1 || cost.log2_n > 30 || cost.r < 1 || cost.p < 1
      || cost.r > 1024 || cost.p > 1024
      || cost.memory() > max_backup_kdf_memory
      || (uint64_t{1} << cost.log2_n) * cost.r * cost.p > max_backup_kdf_work)
    return make_error(errc::backup_too_costly,
                      "the backup asks for more memory or time to open than "
                      "Courier allows");
  crypto::byte_view salt{p + 11, salt_size};
  crypto::byte_view nonce{p + 11 + salt_size, crypto::aead_nonce_size};
  auto* check = p + 11 + salt_size + crypto::aead_nonce_size;
  auto keys = derive(passphrase, salt, cost);
  if (!keys)
    return keys.error();
  if (!crypto::equal_ct({keys->data() + crypto::aead_key_size, check_size},
                     {check, check_size}))
    return make_error(errc::wrong_passphrase,
                      "the passphrase does not open this backup");
  crypto::byte_view key{keys->data(), crypto::aead_key_size};
  auto header = file.substr(0, header_size);
  crypto::byte_view rest{bytes_of(file) + header_size,
                         file.size() - header_size};
  auto opened = crypto::aead_open(key, nonce, header, rest);
  if (!opened)
    return damaged("the backup was altered or damaged");
  crypto::secret plain{std::move(*opened)};
  // Sealed by us, so well-formed; checked all the same.
  auto* q = plain.data();
  size_t n = plain.size();
  if (n < 5 || q[0] != contents_format)
    return damaged("the backup's contents are not understood");
  size_t ulen = get_u32(q + 1);
  if (ulen > n - 5 || n - 5 - ulen < 4)
    return damaged("the backup's contents are not understood");
  size_t klen = get_u32(q + 5 + ulen);
  if (klen != n - 9 - ulen)
    return damaged("the backup's contents are not understood");
  backup_contents out;
  out.user.assign(reinterpret_cast<const char*>(q + 5), ulen);
  std::string pem(reinterpret_cast<const char*>(q + 9 + ulen), klen);
  auto identity = crypto::private_key_from_pem(pem, "");
  crypto::wipe(pem.data(), pem.size());
  if (!identity || !crypto::is_rsa_identity(*identity))
    return damaged("the backup holds no identity key");
  out.identity = std::move(*identity);
  return out;
}

caf::error write_backup(const std::string& path, const backup_contents& in,
                        const std::string& passphrase,
                        const crypto::scrypt_cost& cost) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    return make_error(errc::io_error,
                      path + " exists already; choose another file name");
  auto file = seal_backup(in, passphrase, cost);
  if (!file)
    return file.error();
  return write_file_atomic(path, *file, 0600);
}

caf::expected<backup_contents> read_backup(const std::string& path,
                                           const std::string& passphrase) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec)
    return make_error(errc::io_error, path + " cannot be read");
  if (size > max_backup_size)
    return damaged(path + " is too large to be a Courier backup");
  auto file = read_file(path);
  if (!file)
    return file.error();
  auto out = open_backup(*file, passphrase);
  crypto::wipe(file->data(), file->size());
  return out;
}

} // namespace courier
