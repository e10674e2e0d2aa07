// The stream shaper: one proxied direction's bytes turned into timed writes and endings.
#include "tcpcheck/proxy/stream_shaper.hpp"

#include <algorithm>
#include <utility>

namespace tcpcheck {

namespace {

using clock = stream_shaper::clock;

// How long `size` bytes take at `rate` bytes a second (0: no limit).
clock::duration transfer_time(std::size_t size, std::uint64_t rate) {
  if (rate == 0) return clock::duration::zero();
  // Whole seconds apart from the fraction, so a huge write at 1 byte a
  // second cannot overflow the clock's nanoseconds.
  const std::uint64_t seconds = std::min<std::uint64_t>(size / rate, 1'000'000'000);
  const double fraction = static_cast<double>(size % rate) / static_cast<double>(rate);
  return std::chrono::seconds(seconds) +
         std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(fraction));
}

// Bytes of one slice under `rate` (0: no limit): rate_slice's worth, at least 1.
std::size_t slice_bytes(std::uint64_t rate) {
  if (rate == 0) return 0;
  constexpr auto slices_a_second = std::chrono::seconds(1) / rate_slice;
  return static_cast<std::size_t>(std::max<std::uint64_t>(1, rate / slices_a_second));
}

// The plan's random cuts depend on the shaper's seed too, so that each
// connection and direction is cut differently, and a shaper of seed 0 cuts
// as `tcpcheck run` does for the same plan.
delivery_plan seeded(delivery_plan plan, std::uint64_t seed) {
  plan.seed ^= seed * 0xbf58476d1ce4e5b9ull;
  return plan;
}

// Where frame `f` ends in the push that began at stream offset
// `push_start`; 0 if it ended before it, so that no offset computed from a
// frame can point outside the push.
std::size_t end_in_push(const frame& f, std::uint64_t push_start) {
  const std::uint64_t end = f.offset + f.wire_size;
  return end > push_start ? static_cast<std::size_t>(end - push_start) : 0;
}

shaped_action::kind action_ending(disturbance::ending end) {
  switch (end) {
  case disturbance::ending::reset:
    return shaped_action::kind::reset;
  case disturbance::ending::half_close:
    return shaped_action::kind::half_close;
  case disturbance::ending::close:
  case disturbance::ending::none:
    break;
  }
  return shaped_action::kind::close;
}

} // namespace

stream_shaper::stream_shaper(disturbance d, framing_spec spec, std::uint64_t seed)
    : disturbance_(std::move(d)), spec_(spec), frames_(std::move(spec)), seed_(seed),
      random_state_(seed) {}

void stream_shaper::change(disturbance d) {
  if (d == disturbance_) return;
  flush_merge(last_push_);
  disturbance_ = std::move(d);
  bytes_at_change_ = bytes_in_;
  frames_at_change_ = frames_in_;
  stalled_ = false;
  if (disturbance_.plan.what != delivery_plan::kind::split_header) recent_.clear();
}

void stream_shaper::push(byte_view bytes, clock::time_point now) {
  const std::uint64_t push_start = bytes_in_;
  const std::uint64_t push_index = pushes_++;
  bytes_in_ += bytes.size();
  last_push_ = now;
  const bool forwarding = !ended_ && !sender_done_ && !disturbance_.blackhole && !bytes.empty();
  decoded_push decoded = decode(bytes, push_start, forwarding);
  remember_recent(bytes);
  if (forwarding)
    forward(bytes, push_start - bytes_at_change_, std::move(decoded), push_index, now);
}

// Queues a push's bytes as the disturbance says: up to its ending, cut by
// its plan and its stall, or held for a merge.
void stream_shaper::forward(byte_view bytes, std::uint64_t since_change, decoded_push decoded,
                            std::uint64_t push_index, clock::time_point now) {
  if (!merging_.empty() && now >= merge_due_) flush_merge(merge_due_);
  const std::optional<std::size_t> end = end_point(bytes.size(), since_change, decoded.frame_end);
  const byte_view kept = end ? bytes.first(*end) : bytes;
  const std::optional<std::size_t> stall = stall_point(kept.size(), since_change);
  if (stall) stalled_ = true;
  queued_bytes_ += kept.size();

  if (kept.empty()) {
    // the direction ends where this push begins
  } else if (disturbance_.plan.what == delivery_plan::kind::merged) {
    hold_for_merge(kept, stall, now);
  } else {
    std::vector<std::size_t> cuts = std::move(decoded.header_cuts);
    // Random cuts, and split-header's of a raw stream (which has no frames:
    // a read is cut in its middle, as `tcpcheck run` cuts a raw send), are
    // made over the whole push.
    const bool raw_split = disturbance_.plan.what == delivery_plan::kind::split_header &&
                           spec_.kind == framing_kind::raw;
    if (disturbance_.plan.what == delivery_plan::kind::random || raw_split)
      cuts = plan_cuts(seeded(disturbance_.plan, seed_), spec_, bytes, false, push_index);
    std::erase_if(cuts, [&](std::size_t at) { return at >= kept.size(); });
    enqueue(cut_push(kept, std::move(cuts), stall, now));
  }
  if (end) {
    flush_merge(now); // nothing more will join it
    queue_end(action_ending(disturbance_.end), now + disturbance_.latency);
    ended_ = true;
  }
}

void stream_shaper::push_end(clock::time_point now) {
  if (ended_ || sender_done_) return;
  frames_.finish([&](const observed_frame& f) {
    ++frames_in_;
    if (observer_) observer_(f);
  });
  sender_ended(shaped_action::kind::close, now);
}

void stream_shaper::push_reset(clock::time_point now) {
  if (ended_ || sender_done_) return;
  sender_ended(shaped_action::kind::reset, now);
}

// The sender is done: its close or reset goes after what is queued.
void stream_shaper::sender_ended(shaped_action::kind what, clock::time_point now) {
  sender_done_ = true;
  if (disturbance_.blackhole) return;
  // Nothing more will come, so bytes held for a merge need not wait any longer.
  if (!merging_.empty()) flush_merge(std::min(now, merge_due_));
  queue_end(what, now + disturbance_.latency);
}

std::optional<shaped_action> stream_shaper::pop(clock::time_point now) {
  if (!merging_.empty() && now >= merge_due_) flush_merge(merge_due_);
  if (queue_.empty() || queue_.front().due > now) return std::nullopt;
  held_write& front = queue_.front();
  shaped_action action{front.what, {}, front.due};
  bool done = true;
  previous_end_ = front.due;
  if (front.what == shaped_action::kind::write) {
    const std::size_t total = front.bytes.size();
    const std::size_t end = piece_end(front);
    if (front.sent == 0 && end == total)
      action.bytes = std::move(front.bytes);
    else
      action.bytes.assign(front.bytes.begin() + static_cast<std::ptrdiff_t>(front.sent),
                          front.bytes.begin() + static_cast<std::ptrdiff_t>(end));
    queued_bytes_ -= end - front.sent;
    previous_end_ += transfer_time(end - front.sent, front.rate);
    front.sent = end;
    done = end == total;
  }
  previous_due_ = front.due;
  has_previous_ = true;
  if (done) queue_.pop_front();
  if (!queue_.empty()) schedule_front();
  return action;
}

std::optional<clock::time_point> stream_shaper::next_due() const {
  if (!queue_.empty()) return queue_.front().due;
  if (!merging_.empty()) return merge_due_;
  return std::nullopt;
}

// Counts and observes the frames in `bytes`; notes split-header's cuts and
// where the frame that ends the direction ends, in the push's offsets.
stream_shaper::decoded_push stream_shaper::decode(byte_view bytes, std::uint64_t push_start,
                                                  bool forwarding) {
  decoded_push out;
  // A raw stream is one frame at its end: frame_boundaries finds none.
  if (spec_.kind == framing_kind::raw || frames_.failed()) return out;
  const bool cut_headers =
      forwarding && disturbance_.plan.what == delivery_plan::kind::split_header;
  const bool ends_on_frame =
      forwarding && disturbance_.end != disturbance::ending::none && disturbance_.end_counts_frames;
  // An error is kept (decode_error()); the bytes are forwarded anyway.
  frames_.consume(bytes, [&](const observed_frame& f) {
    ++frames_in_;
    if (observer_) observer_(f);
    if (cut_headers) header_cut(f, bytes, push_start, out.header_cuts);
    if (ends_on_frame && !out.frame_end && frames_in_ - frames_at_change_ >= disturbance_.end_after)
      out.frame_end = end_in_push(f, push_start);
  });
  return out;
}

// split-header: where plan_cuts cuts frame `f`, which ends in this push.
void stream_shaper::header_cut(const frame& f, byte_view bytes, std::uint64_t push_start,
                               std::vector<std::size_t>& cuts) const {
  const std::size_t frame_end = end_in_push(f, push_start);
  if (frame_end == 0) return; // all of it came before this push
  if (f.offset >= push_start) {
    const auto begin = static_cast<std::size_t>(f.offset - push_start);
    const byte_view wire = bytes.subspan(begin, frame_end - begin);
    for (const std::size_t at : plan_cuts(disturbance_.plan, spec_, wire, true, 0))
      cuts.push_back(begin + at);
    return;
  }
  // The frame began in an earlier push: cut it as it stands in the
  // lookback. A frame longer than the lookback is cut over its last bytes,
  // which places a cut before a delimiter exactly; its length header lies
  // before the lookback, in bytes already forwarded, and is not cut.
  const std::uint64_t earlier = push_start - f.offset;
  std::size_t from_recent = 0;
  if (earlier <= recent_.size())
    from_recent = static_cast<std::size_t>(earlier);
  else if (recent_.size() == split_header_lookback)
    from_recent = recent_.size();
  else
    return; // split-header began inside this frame: too little of it is known
  byte_buffer wire(recent_.end() - static_cast<std::ptrdiff_t>(from_recent), recent_.end());
  wire.insert(wire.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(frame_end));
  for (const std::size_t at : plan_cuts(disturbance_.plan, spec_, wire, true, 0))
    if (at > from_recent) cuts.push_back(at - from_recent);
}

void stream_shaper::remember_recent(byte_view bytes) {
  if (disturbance_.plan.what != delivery_plan::kind::split_header) return;
  if (bytes.size() >= split_header_lookback) {
    recent_.assign(bytes.end() - split_header_lookback, bytes.end());
    return;
  }
  recent_.insert(recent_.end(), bytes.begin(), bytes.end());
  if (recent_.size() > split_header_lookback)
    recent_.erase(recent_.begin(),
                  recent_.end() - static_cast<std::ptrdiff_t>(split_header_lookback));
}

// Where in a push of `size` bytes the direction ends, if it ends in it.
std::optional<std::size_t> stream_shaper::end_point(std::size_t size, std::uint64_t since_change,
                                                    std::optional<std::size_t> frame_end) const {
  if (disturbance_.end == disturbance::ending::none) return std::nullopt;
  if (disturbance_.end_counts_frames)
    return frame_end ? std::optional<std::size_t>(std::min(*frame_end, size)) : std::nullopt;
  if (since_change + size < disturbance_.end_after) return std::nullopt;
  return static_cast<std::size_t>(disturbance_.end_after -
                                  std::min(since_change, disturbance_.end_after));
}

// Where in the `size` bytes forwarded the stall begins, if it begins in them.
std::optional<std::size_t> stream_shaper::stall_point(std::size_t size,
                                                      std::uint64_t since_change) const {
  if (!disturbance_.stall || stalled_) return std::nullopt;
  const std::uint64_t after = disturbance_.stall->after_bytes;
  if (after < since_change || after - since_change >= size) return std::nullopt;
  return static_cast<std::size_t>(after - since_change);
}

stream_shaper::held_write stream_shaper::cut_push(byte_view bytes, std::vector<std::size_t> cuts,
                                                  std::optional<std::size_t> stall,
                                                  clock::time_point now) {
  held_write write = timed_write(now);
  write.bytes.assign(bytes.begin(), bytes.end());
  write.cuts = std::move(cuts);
  const delivery_plan& plan = disturbance_.plan;
  if (plan.what == delivery_plan::kind::bytewise) write.piece = 1;
  if (plan.what == delivery_plan::kind::chunk) write.piece = plan.chunk;
  write.spaced = plan.cuts_sends();
  if (stall) {
    write.stall_at = *stall;
    write.stall_length = disturbance_.stall->length;
    write.stall_ready = write.ready;
  }
  return write;
}

// A write ready `latency` after `at`, timed by the current disturbance.
stream_shaper::held_write stream_shaper::timed_write(clock::time_point at) const {
  held_write write;
  write.ready = at + disturbance_.latency;
  write.jitter = disturbance_.jitter;
  write.rate = disturbance_.rate;
  write.slice = slice_bytes(disturbance_.rate);
  return write;
}

void stream_shaper::hold_for_merge(byte_view bytes, std::optional<std::size_t> stall,
                                   clock::time_point now) {
  if (stall) {
    // What came before the stall point goes now; the rest waits the stall.
    merging_.insert(merging_.end(), bytes.begin(),
                    bytes.begin() + static_cast<std::ptrdiff_t>(*stall));
    flush_merge(now);
    bytes = bytes.subspan(*stall);
    merge_stall_at_ = 0;
    merge_stall_ready_ = now + disturbance_.latency;
  }
  merging_.insert(merging_.end(), bytes.begin(), bytes.end());
  merge_due_ = now + merge_window;
}

void stream_shaper::flush_merge(clock::time_point at) {
  if (merging_.empty()) return;
  held_write write = timed_write(at);
  write.bytes = std::exchange(merging_, {});
  if (merge_stall_at_ != no_stall) {
    write.stall_at = std::exchange(merge_stall_at_, no_stall);
    write.stall_length = disturbance_.stall ? disturbance_.stall->length : duration{0};
    write.stall_ready = merge_stall_ready_;
  }
  enqueue(std::move(write));
}

void stream_shaper::enqueue(held_write write) {
  queue_.push_back(std::move(write));
  if (queue_.size() == 1) schedule_front();
}

void stream_shaper::queue_end(shaped_action::kind what, clock::time_point ready) {
  held_write end;
  end.what = what;
  end.ready = ready;
  enqueue(std::move(end));
}

// The end of the front write's next piece: the plan's next cut, the stall
// point, or the end of its bytes.
std::size_t stream_shaper::piece_end(held_write& write) {
  std::size_t end = write.bytes.size();
  if (write.piece != 0) end = std::min(end, write.sent + write.piece);
  if (write.slice != 0) end = std::min(end, write.sent + write.slice);
  while (write.next_cut < write.cuts.size() && write.cuts[write.next_cut] <= write.sent)
    ++write.next_cut;
  if (write.next_cut < write.cuts.size()) end = std::min(end, write.cuts[write.next_cut]);
  if (write.stall_at != no_stall && write.stall_at > write.sent)
    end = std::min(end, write.stall_at);
  return end;
}

// Times the front's next piece: ready (plus jitter), never before the
// previous write (nor before its end at `rate`), a cutting plan's pieces
// cut_write_gap apart, and the piece after a stall point held the stall.
void stream_shaper::schedule_front() {
  held_write& write = queue_.front();
  clock::time_point due = write.ready;
  if (write.jitter.count() > 0) {
    const auto range = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(write.jitter).count());
    due += std::chrono::microseconds(next_random() % (range + 1));
  }
  if (has_previous_) {
    due = std::max(due, previous_end_);
    if (write.spaced) due = std::max(due, previous_due_ + cut_write_gap);
  }
  if (write.what == shaped_action::kind::write && write.stall_at == write.sent) {
    // The stall begins once the bytes before it are written and the byte
    // after it came (a merge held since then does not add to it).
    const clock::time_point stall_from =
        has_previous_ ? std::max(write.stall_ready, previous_end_) : write.stall_ready;
    due = std::max(due, stall_from + write.stall_length);
  }
  write.due = due;
}

// splitmix64: small, and the same sequence on every platform.
std::uint64_t stream_shaper::next_random() {
  std::uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

} // namespace tcpcheck
