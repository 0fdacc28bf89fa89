// libFuzzer target: protocol::frame_reader splitting a hostile byte stream
// that arrives in pieces the fuzzer chooses.

#include <string>
#include <vector>

#include "actors/protocol/frame.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/stream_check.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A small cap, so the fuzzer reaches oversize frames cheaply.
  constexpr size_t max_frame = 512;
  protocol::frame_reader reader{max_frame};
  fuzz::stream_check check{max_frame};
  fuzz::chunker in{data, size};
  std::string_view piece;
  unsigned action = 0;
  std::vector<std::string> frames;
  while (in.next(piece, action)) {
    check.fed(piece);
    caf::error err;
    if (action == 0) {
      frames.clear();
      err = reader.feed(piece.data(), piece.size(), frames);
      for (const auto& f : frames)
        check.frame(f);
    } else {
      // Action 1 stops after the first frame: the rest must stay held.
      err = reader.read(piece.data(), piece.size(), [&](std::string_view f) {
        check.frame(f);
        return action != 1;
      });
    }
    if (err)
      return 0; // the stream is dead; the connection closes
    check.held(reader.pending());
    if (action == 3)
      reader.shrink();
  }
  return 0;
}
