#include "actors/server/cluster/rendezvous.hpp"

namespace courier::cluster {

namespace {

// FNV-1a spreads poorly in the high bits; the splitmix64 finaliser fixes that.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t fnv1a(uint64_t h, std::string_view text) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

} // namespace

uint64_t weight(std::string_view router, std::string_view user) {
  auto h = fnv1a(0xcbf29ce484222325ULL, router);
  h = fnv1a(h, std::string_view{"\xff", 1}); // never in a name: no ambiguity
  h = fnv1a(h, user);
  return mix(h);
}

size_t home_index(const std::vector<std::string>& routers,
                  std::string_view user) {
  size_t best = 0;
  uint64_t best_weight = 0;
  for (size_t i = 0; i < routers.size(); ++i) {
    auto w = weight(routers[i], user);
    // Ties (astronomically rare) go to the smaller name, on every router.
    if (i == 0 || w > best_weight
        || (w == best_weight && routers[i] < routers[best])) {
      best = i;
      best_weight = w;
    }
  }
  return best;
}

} // namespace courier::cluster
