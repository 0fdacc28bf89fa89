#include "actors/server/router_store.hpp"

#include "actors/server/directory.hpp"
#include "actors/server/pg_backend.hpp"
#include "actors/server/store.hpp"

namespace courier {

caf::expected<router_files> open_router_files(const std::string& data) {
  auto dir_db = open_directory_db(data + "/directory.db");
  if (!dir_db)
    return dir_db.error();
  auto queue_db = open_store_db(data + "/queue.db");
  if (!queue_db)
    return queue_db.error();
  return router_files{std::move(*dir_db), std::move(*queue_db)};
}

caf::expected<router_store> open_router_store(const std::string& store,
                                              const std::string& data) {
  if (store.empty()) {
    auto files = open_router_files(data);
    if (!files)
      return files.error();
    return router_store{sqlite_directory(std::move(files->directory)),
                        sqlite_queue(std::move(files->queue))};
  }
  if (auto err = open_postgresql_store(store))
    return err;
  return router_store{pg_directory(store), pg_queue(store)};
}

} // namespace courier
