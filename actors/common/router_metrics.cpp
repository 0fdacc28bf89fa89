#include "actors/common/router_metrics.hpp"

#include <string>

namespace courier {

namespace {

using prometheus::Registry;

prometheus::Family<prometheus::Counter>&
counters(Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>&
gauges(Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

// Seconds, from a quarter of a millisecond (a commit in the page cache)
// to seconds (a disk or a database in trouble).
prometheus::Histogram::BucketBoundaries commit_buckets() {
  return {0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01,
          0.02,    0.05,   0.1,   0.25,  0.5,   1,    2.5};
}

} // namespace

const char* to_string(session_cut x) {
  switch (x) {
    case session_cut::write_buffer:
      return "write_buffer";
    case session_cut::rate_ignored:
      return "rate_ignored";
    case session_cut::bad_frame:
      return "bad_frame";
    case session_cut::handshake_timeout:
      return "handshake_timeout";
    case session_cut::idle_timeout:
      return "idle_timeout";
    case session_cut::kicked:
      return "kicked";
    case session_cut::drained:
      return "drained";
    case session_cut::blocked:
      return "blocked";
    case session_cut::refused:
      return "refused";
  }
  return "refused";
}

router_metrics::router_metrics(Registry& r)
  : sessions_in_handshake(
      gauges(r, "courier_sessions", "Edge sessions now, by state")
        .Add({{"state", "handshake"}})),
    sessions_signed_in(
      gauges(r, "courier_sessions", "").Add({{"state", "signed_in"}})),
    handshakes_signed_in(
      counters(r, "courier_handshakes_total",
               "Sign-ins by result: signed_in (a known user), new_user (a "
               "name registered), refused, timed_out")
        .Add({{"result", "signed_in"}})),
    handshakes_new_user(counters(r, "courier_handshakes_total", "")
                          .Add({{"result", "new_user"}})),
    handshakes_refused(
      counters(r, "courier_handshakes_total", "").Add({{"result", "refused"}})),
    handshakes_timed_out(counters(r, "courier_handshakes_total", "")
                           .Add({{"result", "timed_out"}})),
    frames_in(counters(r, "courier_frames_total",
                       "Edge frames read (in) and written (out)")
                .Add({{"direction", "in"}})),
    frames_out(
      counters(r, "courier_frames_total", "").Add({{"direction", "out"}})),
    write_buffer_closes(
      counters(r, "courier_write_buffer_closes_total",
               "Sessions cut because their reader fell behind "
               "(--max-write-buffer)")
        .Add({})),
    refused_busy(counters(r, "courier_connections_refused_total",
                          "Edge connections refused at once, by reason")
                   .Add({{"reason", "busy"}})),
    refused_per_address(counters(r, "courier_connections_refused_total", "")
                          .Add({{"reason", "too_many_connections"}})),
    relayed(counters(r, "courier_messages_relayed_total",
                     "Messages accepted at their recipient's home router")
              .Add({})),
    held(counters(r, "courier_messages_held_total",
                  "Messages pushed to a live recipient and held in memory "
                  "for its ack (--ack-hold-ms)")
           .Add({})),
    stored(counters(r, "courier_messages_stored_total",
                    "Messages written to the offline queue")
             .Add({})),
    delivered_live(counters(r, "courier_messages_delivered_total",
                            "Messages pushed to their recipient's session: "
                            "at once (live) or from the offline queue (store)")
                     .Add({{"from", "live"}})),
    delivered_from_store(
      counters(r, "courier_messages_delivered_total", "")
        .Add({{"from", "store"}})),
    backbone_out(counters(r, "courier_backbone_messages_total",
                          "Sends passed to another router (out) or taken "
                          "from one (in)")
                   .Add({{"direction", "out"}})),
    backbone_in(counters(r, "courier_backbone_messages_total", "")
                  .Add({{"direction", "in"}})),
    backbone_peers_up(gauges(r, "courier_backbone_peers_up",
                             "Other routers whose backbone link is up")
                        .Add({})),
    queue_messages(gauges(r, "courier_queue_messages",
                          "Messages waiting in the offline queues")
                     .Add({})),
    queue_bytes(gauges(r, "courier_queue_bytes",
                       "Bytes of messages waiting in the offline queues")
                  .Add({})),
    store_commit_seconds(
      prometheus::BuildHistogram()
        .Name("courier_store_commit_seconds")
        .Help("Time of one offline-queue transaction (a group commit)")
        .Register(r)
        .Add({}, commit_buckets())) {
  auto& family = counters(r, "courier_errors_total",
                          "Errors sent to clients, by code");
  auto& internal = family.Add({{"code", to_string(errc::internal)}});
  for (size_t i = 0; i < errors_.size(); ++i) {
    auto code = static_cast<errc>(i);
    // Only codes that exist get a series; others count as internal.
    std::string name = to_string(code);
    errors_[i] = errc_from_string(name) == code && code != errc::none
                   ? &family.Add({{"code", name}})
                   : &internal;
  }
  auto& cuts = counters(r, "courier_sessions_cut_total",
                        "Edge sessions the router ended, by reason");
  for (size_t i = 0; i < cuts_.size(); ++i)
    cuts_[i] = &cuts.Add({{"reason", to_string(static_cast<session_cut>(i))}});
}

} // namespace courier
