#include "actors/admin/backup.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include "actors/common/error.hpp"
#include "actors/common/private_files.hpp"
#include "actors/common/sqlite.hpp"
#include "actors/server/cluster/membership.hpp"
#include "crypto/bytes.hpp"
#include "crypto/digest.hpp"

namespace courier::admin {

namespace fs = std::filesystem;

namespace {

constexpr const char* format_version = "courier-backup-1";

/// Bytes per row of `chunks`.
constexpr size_t chunk_size = 4 * 1024 * 1024;

/// Files of a data folder that are never copied: the lock, and SQLite's
/// side files (a database's copy is whole without them).
bool skipped(const std::string& name) {
  auto ends = [&](const char* tail) {
    auto n = std::strlen(tail);
    return name.size() >= n && name.compare(name.size() - n, n, tail) == 0;
  };
  return name == "lock" || ends("-wal") || ends("-shm") || ends("-journal")
         || ends(".restore-tmp") || ends(".backup-tmp");
}

/// A name a backup may carry: a plain file name, nothing that leaves the
/// folder (a backup file may come from anywhere).
bool safe_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.')
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_'
        && c != '-')
      return false;
  return !skipped(name);
}

bool is_sqlite_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  char head[16] = {};
  in.read(head, sizeof head);
  return in.gcount() == 16 && std::memcmp(head, "SQLite format 3", 16) == 0;
}

caf::error io_failure(const std::string& what) {
  return make_error(errc::io_error, what + ": " + std::strerror(errno));
}

// Copies the database at `src` into a new database file `dst` with the
// online backup API: one step over every page, so the copy is one
// snapshot (a reader of a WAL database does not block its writers).
caf::error snapshot_database(const std::string& src, const std::string& dst) {
  sqlite3* in = nullptr;
  sqlite3* out = nullptr;
  auto close_both = [&] {
    sqlite3_close(in);
    sqlite3_close(out);
  };
  if (sqlite3_open_v2(src.c_str(), &in, SQLITE_OPEN_READONLY, nullptr)
        != SQLITE_OK
      || sqlite3_open_v2(dst.c_str(), &out,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr)
           != SQLITE_OK) {
    auto msg = std::string{sqlite3_errmsg(in ? (out ? out : in) : in)};
    close_both();
    return make_error(errc::storage_failure, "cannot open " + src + ": " + msg);
  }
  sqlite3_busy_timeout(in, 10000);
  auto bk = sqlite3_backup_init(out, "main", in, "main");
  if (bk == nullptr) {
    auto msg = std::string{sqlite3_errmsg(out)};
    close_both();
    return make_error(errc::storage_failure, "cannot copy " + src + ": " + msg);
  }
  int rc = SQLITE_OK;
  // Busy or locked: the node is checkpointing or recovering; wait a moment.
  for (int tries = 0; tries < 200; ++tries) {
    rc = sqlite3_backup_step(bk, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
      break;
    sqlite3_sleep(50);
  }
  sqlite3_backup_finish(bk);
  auto msg = std::string{sqlite3_errmsg(out)};
  close_both();
  if (rc != SQLITE_DONE)
    return make_error(errc::storage_failure,
                      "cannot copy " + src + ": " + msg);
  return caf::none;
}

// Appends the file at `path` to the backup as `name`.
caf::error add_file(database& db, const std::string& path,
                    const std::string& name, unsigned mode) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return io_failure("cannot read " + path);
  auto ins = db.prepare("INSERT INTO chunks(name, n, data) VALUES(?1, ?2, ?3)");
  if (!ins)
    return std::move(ins.error());
  crypto::sha256_stream digest;
  std::vector<char> buf(chunk_size);
  uint64_t size = 0;
  for (int64_t n = 0;; ++n) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto got = static_cast<size_t>(in.gcount());
    if (got == 0 && n > 0)
      break;
    digest.update(crypto::byte_view{reinterpret_cast<uint8_t*>(buf.data()),
                                    got});
    size += got;
    if (auto err = ins->bind(1, name).bind(2, n).bind_blob(3, buf.data(), got)
                     .run())
      return err;
    if (got < buf.size())
      break;
  }
  if (in.bad())
    return io_failure("cannot read " + path);
  auto sum = digest.digest();
  auto file = db.prepare("INSERT INTO files(name, mode, size, sha256)"
                         " VALUES(?1, ?2, ?3, ?4)");
  if (!file)
    return std::move(file.error());
  return file->bind(1, name)
    .bind(2, static_cast<int64_t>(mode))
    .bind(3, static_cast<int64_t>(size))
    .bind_blob(4, sum.data(), sum.size())
    .run();
}

// Whether SQLite's integrity check passes on the database at `path`.
bool integrity_ok(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_stmt* s = nullptr;
  bool ok = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr)
              == SQLITE_OK
            && sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr)
                 == SQLITE_OK
            && sqlite3_step(s) == SQLITE_ROW
            && std::string{reinterpret_cast<const char*>(
                 sqlite3_column_text(s, 0))}
                 == "ok";
  sqlite3_finalize(s);
  sqlite3_close(db);
  return ok;
}

caf::error sync_path(const std::string& path, bool dir) {
  int fd = ::open(path.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY)
                                  | O_CLOEXEC);
  if (fd < 0)
    return io_failure("cannot open " + path);
  auto rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0)
    return io_failure("cannot sync " + path);
  return caf::none;
}

std::string parent_of(const std::string& path) {
  auto p = fs::path{path}.parent_path().string();
  return p.empty() ? "." : p;
}

} // namespace

caf::expected<std::vector<backed_up_file>> backup(const std::string& data,
                                                  const std::string& to) {
  std::error_code ec;
  if (!fs::is_directory(data, ec))
    return make_error(errc::io_error, "no data folder " + data);
  if (fs::exists(to, ec))
    return make_error(errc::io_error,
                      to + " exists already; give a new file name");
  auto partial = to + ".backup-tmp";
  fs::remove(partial, ec);
  if (auto err = make_private_file(partial))
    return err;
  std::vector<backed_up_file> out;
  auto fail = [&](caf::error err) -> caf::error {
    fs::remove(partial, ec);
    fs::remove(partial + "-journal", ec);
    return err;
  };
  {
    auto db = database::open(partial);
    if (!db)
      return fail(db.error());
    // One file, no WAL beside it; one transaction for the whole backup.
    auto err = db->exec("PRAGMA journal_mode=DELETE;"
                        "CREATE TABLE backup(key TEXT PRIMARY KEY, value TEXT);"
                        "CREATE TABLE files(name TEXT PRIMARY KEY,"
                        " mode INTEGER NOT NULL, size INTEGER NOT NULL,"
                        " sha256 BLOB NOT NULL);"
                        "CREATE TABLE chunks(name TEXT NOT NULL,"
                        " n INTEGER NOT NULL, data BLOB NOT NULL,"
                        " PRIMARY KEY(name, n));"
                        "BEGIN IMMEDIATE");
    if (err)
      return fail(err);
    auto meta = db->prepare("INSERT INTO backup(key, value) VALUES(?1, ?2)");
    if (!meta)
      return fail(meta.error());
    for (auto& [k, v] :
         {std::pair<std::string, std::string>{"format", format_version},
          {"source", fs::absolute(data, ec).string()},
          {"made", std::to_string(::time(nullptr))}})
      if (auto err = meta->bind(1, k).bind(2, v).run())
        return fail(err);
    std::vector<fs::directory_entry> entries;
    for (auto& e : fs::directory_iterator{data, ec})
      entries.push_back(e);
    if (ec)
      return fail(make_error(errc::io_error, "cannot list " + data));
    for (auto& e : entries) {
      auto name = e.path().filename().string();
      if (!e.is_regular_file(ec) || e.is_symlink(ec) || !safe_name(name))
        continue;
      auto path = e.path().string();
      auto mode = static_cast<unsigned>(e.status(ec).permissions())
                  & private_file_mode;
      backed_up_file f{name, 0, is_sqlite_file(path)};
      if (f.database) {
        auto copy = partial + "." + name + ".backup-tmp";
        fs::remove(copy, ec);
        if (auto err = make_private_file(copy))
          return fail(err);
        err = snapshot_database(path, copy);
        if (!err)
          err = add_file(*db, copy, name, mode);
        f.size = fs::file_size(copy, ec);
        fs::remove(copy, ec);
        if (err)
          return fail(err);
      } else {
        if (auto err = add_file(*db, path, name, mode))
          return fail(err);
        f.size = fs::file_size(path, ec);
      }
      out.push_back(std::move(f));
    }
    if (out.empty())
      return fail(make_error(errc::io_error, "nothing to back up in " + data));
    if (auto err = db->exec("COMMIT"))
      return fail(err);
  }
  if (auto err = sync_path(partial, false))
    return fail(err);
  if (::rename(partial.c_str(), to.c_str()) != 0)
    return fail(io_failure("cannot write " + to));
  if (auto err = sync_path(parent_of(to), true))
    return err;
  return out;
}

caf::expected<std::vector<backed_up_file>>
restore(const std::string& from, const std::string& data, bool force) {
  std::error_code ec;
  if (!fs::is_regular_file(from, ec))
    return make_error(errc::io_error, "no backup file " + from);
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(from.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr)
      != SQLITE_OK) {
    sqlite3_close(raw);
    return make_error(errc::bad_encoding, from + " is not a Courier backup");
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> src{raw, &sqlite3_close};
  auto not_a_backup = [&] {
    return make_error(errc::bad_encoding,
                      from + " is not a Courier backup (or is damaged)");
  };
  {
    sqlite3_stmt* s = nullptr;
    bool ok = sqlite3_prepare_v2(raw, "SELECT value FROM backup"
                                      " WHERE key = 'format'",
                                 -1, &s, nullptr)
                == SQLITE_OK
              && sqlite3_step(s) == SQLITE_ROW
              && sqlite3_column_type(s, 0) == SQLITE_TEXT
              && std::string{reinterpret_cast<const char*>(
                   sqlite3_column_text(s, 0))}
                   == format_version;
    sqlite3_finalize(s);
    if (!ok)
      return not_a_backup();
  }
  // The folder: new, empty, or (with --force) replaced file by file; never
  // one a running node uses.
  if (fs::exists(data, ec) && !fs::is_directory(data, ec))
    return make_error(errc::io_error, data + " is not a folder");
  size_t present = 0;
  if (fs::is_directory(data, ec))
    for (auto& e : fs::directory_iterator{data, ec})
      if (e.path().filename() != "lock")
        ++present;
  if (present > 0 && !force)
    return make_error(errc::io_error,
                      data + " is not empty; restore into a new folder, or "
                             "give --force to replace its files");
  if (auto err = make_private_dir(data))
    return err;
  auto lock = cluster::lock_data_dir(data);
  if (!lock)
    return make_error(errc::node_running,
                      "a running courier-node uses " + data
                        + "; stop it first, then run this again");
  struct unlock_at_end {
    int fd;
    ~unlock_at_end() {
      cluster::unlock_data_dir(fd);
    }
  } unlock{*lock};
  sqlite3_stmt* fs_raw = nullptr;
  sqlite3_stmt* ch_raw = nullptr;
  if (sqlite3_prepare_v2(raw, "SELECT name, size, sha256 FROM files"
                              " ORDER BY name",
                         -1, &fs_raw, nullptr)
        != SQLITE_OK
      || sqlite3_prepare_v2(raw,
                            "SELECT n, length(data), CASE WHEN length(data)"
                            " <= ?2 THEN data END FROM chunks"
                            " WHERE name = ?1 ORDER BY n",
                            -1, &ch_raw, nullptr)
           != SQLITE_OK) {
    sqlite3_finalize(fs_raw);
    sqlite3_finalize(ch_raw);
    return not_a_backup();
  }
  statement files{raw, fs_raw};
  statement chunks{raw, ch_raw};
  std::vector<backed_up_file> out;
  std::vector<std::string> written; // temp files, renamed at the end
  auto fail = [&](caf::error err) -> caf::error {
    for (auto& name : written)
      fs::remove(data + "/" + name + ".restore-tmp", ec);
    return err;
  };
  // Every file is written and checked beside its final name first.
  for (;;) {
    auto more = files.step();
    if (!more)
      return fail(not_a_backup());
    if (!*more)
      break;
    auto name = files.text_at(0);
    auto size = files.int_at(1);
    auto sum = files.blob_at(2);
    if (!safe_name(name) || size < 0)
      return fail(not_a_backup());
    auto tmp = data + "/" + name + ".restore-tmp";
    fs::remove(tmp, ec);
    written.push_back(name);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    private_file_mode);
    if (fd < 0)
      return fail(io_failure("cannot write " + tmp));
    crypto::sha256_stream digest;
    uint64_t got = 0;
    int64_t expect_n = 0;
    caf::error err;
    chunks.bind(1, name).bind(2, static_cast<int64_t>(chunk_size));
    for (;;) {
      auto c = chunks.step();
      if (!c) {
        err = not_a_backup();
        break;
      }
      if (!*c)
        break;
      if (chunks.int_at(0) != expect_n++
          || chunks.int_at(1) > static_cast<int64_t>(chunk_size)) {
        err = not_a_backup();
        break;
      }
      auto bytes = chunks.blob_at(2);
      digest.update(bytes);
      got += bytes.size();
      if (::write(fd, bytes.data(), bytes.size())
          != static_cast<ssize_t>(bytes.size())) {
        err = io_failure("cannot write " + tmp);
        break;
      }
    }
    chunks.reset();
    if (!err && ::fsync(fd) != 0)
      err = io_failure("cannot write " + tmp);
    ::close(fd);
    if (err)
      return fail(err);
    auto d = digest.digest();
    if (got != static_cast<uint64_t>(size)
        || std::string(d.begin(), d.end()) != sum)
      return fail(make_error(errc::bad_encoding,
                             from + " is damaged: " + name
                               + " does not match its checksum"));
    backed_up_file f{name, got, is_sqlite_file(tmp)};
    if (f.database && !integrity_ok(tmp))
      return fail(make_error(errc::storage_failure,
                             "the copy of " + name + " in " + from
                               + " fails SQLite's integrity check"));
    out.push_back(std::move(f));
  }
  if (out.empty())
    return fail(not_a_backup());
  // All checked: into place. An old database's -wal would be replayed over
  // the restored one, so it goes first.
  for (auto& f : out) {
    auto path = data + "/" + f.name;
    for (auto side : {"-wal", "-shm", "-journal"}) {
      fs::remove(path + side, ec);
      fs::remove(path + ".restore-tmp" + side, ec);
    }
    if (::rename((path + ".restore-tmp").c_str(), path.c_str()) != 0)
      return fail(io_failure("cannot write " + path));
  }
  if (auto err = sync_path(data, true))
    return err;
  return out;
}

caf::expected<int> share_data_dir(const std::string& data) {
  auto path = data + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC,
                  private_file_mode);
  if (fd < 0)
    return io_failure("cannot open " + path);
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    ::close(fd);
    return make_error(errc::node_running,
                      "a restore or a router is using " + data
                        + "; wait for it to finish");
  }
  return fd;
}

} // namespace courier::admin
