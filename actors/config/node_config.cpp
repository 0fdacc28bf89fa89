#include "actors/config/node_config.hpp"

#include <caf/io/middleman.hpp>

#include "actors/bank/ledger_actor.hpp"
#include "actors/client/client_actor.hpp"
#include "actors/common/error.hpp"
#include "actors/server/session_actor.hpp"

namespace courier {

base_config::base_config() {
  load<caf::io::middleman>();
  add_message_type<stored_message>("courier::stored_message");
  add_message_type<std::vector<stored_message>>(
    "std::vector<courier::stored_message>");
  add_message_type<session_actor>("courier::session_actor");
  add_message_type<inbound_message>("courier::inbound_message");
  add_message_type<contact_key>("courier::contact_key");
  add_message_type<std::vector<contact_key>>("std::vector<courier::contact_key>");
  add_message_type<history_entry>("courier::history_entry");
  add_message_type<std::vector<history_entry>>(
    "std::vector<courier::history_entry>");
  add_message_type<bank::transfer_order>("courier::bank::transfer_order");
  add_message_type<bank::transfer_receipt>("courier::bank::transfer_receipt");
  add_message_type<std::vector<bank::transfer_receipt>>(
    "std::vector<courier::bank::transfer_receipt>");
  add_message_type<bank::audit_report>("courier::bank::audit_report");
  add_error_category(errc_category,
                     [](uint8_t code, caf::atom_value,
                        const caf::message& ctx) -> std::string {
                       std::string text = describe(static_cast<errc>(code));
                       if (ctx.match_element<std::string>(0))
                         text += " (" + ctx.get_as<std::string>(0) + ")";
                       return text;
                     });
}

std::vector<std::string> normalize_args(int argc, char** argv, int first) {
  std::vector<std::string> out;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    bool is_long = arg.size() > 2 && arg.compare(0, 2, "--") == 0;
    bool has_value = arg.find('=') != std::string::npos;
    if (is_long && !has_value && i + 1 < argc && argv[i + 1][0] != '-')
      out.push_back(arg + "=" + argv[++i]);
    else
      out.push_back(std::move(arg));
  }
  return out;
}

std::vector<std::string> take_repeated(std::vector<std::string>& args,
                                       const std::string& name) {
  auto prefix = "--" + name + "=";
  std::vector<std::string> values;
  std::vector<std::string> rest;
  for (auto& arg : args) {
    if (arg.rfind(prefix, 0) == 0)
      values.push_back(arg.substr(prefix.size()));
    else
      rest.push_back(std::move(arg));
  }
  args = std::move(rest);
  return values;
}

} // namespace courier
