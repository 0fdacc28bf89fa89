#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace courier {

/// Messages pushed to a session and not yet acknowledged, oldest first.
/// A vector, not a deque: a deque allocates ~600 bytes up front, which
/// every idle session would pay. Acks come mostly in order, so an acked
/// entry is only marked, and the dead head is cut off now and then instead
/// of shifting the whole window on every ack. Marked entries never outgrow
/// the live ones by much, whatever order a client acks in.
class unacked_window {
public:
  void push(uint64_t seq, size_t bytes, const std::string& from) {
    entries_.push_back({seq, bytes, from});
    ++live_;
    bytes_ += bytes;
  }

  /// Removes `seq`; returns its sender, or nothing if it was not there.
  std::optional<std::string> take(uint64_t seq) {
    if (seq == 0)
      return std::nullopt; // 0 marks an acked entry
    auto pos = std::find_if(entries_.begin() + head_, entries_.end(),
                            [seq](auto& e) { return e.seq == seq; });
    if (pos == entries_.end())
      return std::nullopt;
    auto from = std::move(pos->from);
    bytes_ -= pos->bytes;
    --live_;
    pos->seq = 0;
    while (head_ < entries_.size() && entries_[head_].seq == 0)
      ++head_;
    if (head_ == entries_.size() || head_ > entries_.size() / 2) {
      entries_.erase(entries_.begin(), entries_.begin() + head_);
      head_ = 0;
    } else if (entries_.size() > 2 * live_ + 32) {
      // An old entry stays unacknowledged while later ones are acked.
      entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                    [](auto& e) { return e.seq == 0; }),
                     entries_.end());
      head_ = 0;
    }
    return from;
  }

  /// Whether `seq` is waiting for its ack.
  bool holds(uint64_t seq) const {
    return seq != 0
           && std::any_of(entries_.begin() + head_, entries_.end(),
                          [seq](auto& e) { return e.seq == seq; });
  }

  size_t size() const { return live_; }
  size_t bytes() const { return bytes_; }
  bool empty() const { return live_ == 0; }
  /// Entries held, acknowledged ones not yet cut off included.
  size_t capacity_used() const { return entries_.size(); }

private:
  struct entry {
    uint64_t seq;
    size_t bytes;
    std::string from; ///< told when the recipient acknowledges
  };
  std::vector<entry> entries_;
  size_t head_ = 0; ///< entries before it are acknowledged
  size_t live_ = 0;
  size_t bytes_ = 0;
};

} // namespace courier
