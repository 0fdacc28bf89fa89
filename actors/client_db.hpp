#pragma once

#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/interfaces.hpp"
#include "actors/sqlite.hpp"

namespace courier {

/// A client's durable local state: pinned keys (routers and contacts),
/// ids of messages already received, and the message history.
class client_db {
public:
  static caf::expected<client_db> open(const std::string& path);

  /// The pinned key (SPKI DER) of a router address or a contact.
  std::optional<std::string> pinned(const std::string& kind,
                                    const std::string& name);
  caf::error pin(const std::string& kind, const std::string& name,
                 const std::string& der);

  /// True if this message was received before.
  bool seen(const std::string& from, const std::string& msg_id);

  /// Records a received message (history and seen) in one transaction.
  caf::error record_inbound(const inbound_message& msg);

  /// Records a sent message in the history.
  caf::error record_outbound(const std::string& to, const std::string& body,
                             const std::string& msg_id, int64_t ts);

private:
  database db_;
};

} // namespace courier
