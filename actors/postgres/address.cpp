#include "actors/postgres/address.hpp"

#include <libpq-fe.h>

#include "actors/common/error.hpp"

namespace courier {

bool is_postgresql_address(const std::string& store) {
  return store.rfind("postgresql://", 0) == 0
         || store.rfind("postgres://", 0) == 0;
}

caf::error check_postgresql_address(const std::string& conninfo,
                                    const std::string& option) {
  char* msg = nullptr;
  auto opts = PQconninfoParse(conninfo.c_str(), &msg);
  if (opts == nullptr) {
    // libpq's message names the part it could not read, not the password.
    std::string why = msg != nullptr ? msg : "out of memory";
    PQfreemem(msg);
    while (!why.empty() && why.back() == '\n')
      why.pop_back();
    return make_error(errc::bad_store_address,
                      "the " + option
                        + " address is not a PostgreSQL connection string: "
                        + why);
  }
  bool has_password = false;
  for (auto o = opts; o->keyword != nullptr; ++o)
    if (std::string{o->keyword} == "password" && o->val != nullptr
        && *o->val != '\0')
      has_password = true;
  PQconninfoFree(opts);
  if (has_password)
    return make_error(errc::bad_store_address,
                      "the " + option
                        + " address holds a password, which every user "
                          "of this machine can read on the command line; remove "
                      "it and put it in a password file (PGPASSFILE or "
                      "~/.pgpass, mode 0600)");
  return caf::none;
}

} // namespace courier
