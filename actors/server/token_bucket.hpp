#pragma once

#include <algorithm>
#include <chrono>

namespace courier {

/// A token bucket: `rate` tokens a second accrue up to `burst`; it starts
/// full. One message costs one token.
class token_bucket {
public:
  using clock = std::chrono::steady_clock;

  token_bucket(double rate, double burst, clock::time_point now)
    : rate_(rate), burst_(burst), tokens_(burst), last_(now) {
  }

  /// Takes a token if there is one.
  bool take(clock::time_point now) {
    refill(now);
    if (tokens_ < 1.0)
      return false;
    tokens_ -= 1.0;
    return true;
  }

  /// True once it has refilled: it then says no more than a new one would.
  bool full(clock::time_point now) {
    refill(now);
    return tokens_ >= burst_;
  }

private:
  void refill(clock::time_point now) {
    if (now <= last_)
      return;
    std::chrono::duration<double> dt = now - last_;
    tokens_ = std::min(burst_, tokens_ + dt.count() * rate_);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

} // namespace courier
