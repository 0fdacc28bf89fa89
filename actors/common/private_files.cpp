#include "actors/common/private_files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/common/error.hpp"

namespace courier {

namespace {

caf::error io_failure(const std::string& path, const char* what) {
  return make_error(errc::io_error,
                    path + ": " + what + ": " + std::strerror(errno));
}

// Any bit for the group or others is a bit too many.
bool too_open(mode_t mode) {
  return (mode & 077) != 0;
}

} // namespace

caf::error make_private_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  // Walk down from the first existing ancestor so that every folder made
  // here is 0700, not 0777 minus whatever the umask happens to be.
  fs::path target = fs::path{dir}.lexically_normal();
  fs::path partial;
  for (const auto& part : target) {
    partial /= part;
    if (part.empty() || part == "/")
      continue;
    if (::mkdir(partial.c_str(), private_dir_mode) == 0) {
      // mkdir applies the umask; chmod does not.
      if (::chmod(partial.c_str(), private_dir_mode) != 0)
        return io_failure(partial.string(), "chmod");
      continue;
    }
    if (errno != EEXIST)
      return io_failure(partial.string(), "mkdir");
  }
  struct stat st{};
  if (::stat(target.c_str(), &st) != 0)
    return io_failure(dir, "stat");
  if (!S_ISDIR(st.st_mode))
    return make_error(errc::io_error, dir + " is not a folder");
  if (too_open(st.st_mode) && ::chmod(target.c_str(), private_dir_mode) != 0)
    return io_failure(dir, "others may read it and chmod 0700");
  return caf::none;
}

caf::error make_private_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC,
                  private_file_mode);
  if (fd < 0)
    return io_failure(path, "open");
  ::close(fd);
  // An older file may have been made under a looser umask.
  return tighten_file(path);
}

caf::error tighten_file(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return errno == ENOENT ? caf::none : io_failure(path, "stat");
  if (too_open(st.st_mode) && ::chmod(path.c_str(), private_file_mode) != 0)
    return io_failure(path, "chmod 0600");
  return caf::none;
}

} // namespace courier
