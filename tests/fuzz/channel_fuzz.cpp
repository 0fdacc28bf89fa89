// libFuzzer target: protocol::channel opening a stream of sealed frames
// (`u32 length | sealed`) with the session's fixed receive key.

#include <string>

#include "actors/protocol/channel.hpp"
#include "actors/protocol/frame.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  protocol::channel ch{fuzz::channel_keys(false)};
  protocol::frame_reader reader{64 * 1024};
  std::string plain;
  bool broken = false;
  auto text = fuzz::as_text(data, size);
  reader.read(text.data(), text.size(), [&](std::string_view sealed) {
    auto err = ch.open(sealed, plain);
    if (broken)
      fuzz::require(static_cast<bool>(err), "a broken channel opened a frame");
    broken = broken || static_cast<bool>(err);
    fuzz::require(ch.ready() != broken, "ready() disagrees with failures");
    if (!err)
      fuzz::require(plain.size() < sealed.size(), "plaintext longer than frame");
    // Half the time keep going after a failure, to check it stays closed.
    return !broken || sealed.size() % 2 == 0;
  });
  return 0;
}
