// The matrix of a UDP `role server` script: a client under test, tcpcheck
// playing its UDP server (matrix_areas.hpp).
//
// What breaks datagram clients is what the network does to the replies:
// one lost (the client must give up or ask again, and end), one doubled
// (it must behave as before: the copy is not a second answer), one larger
// than the buffer the client reads with (seed 001's client reads 4096
// bytes: the rest of a longer reply is lost without a word). The first
// and the second are judged as the TCP client matrix judges its cases; the
// third by what the client prints (check_case::truncation_probe).
#include "tcpcheck/check_matrix.hpp"

#include <algorithm>
#include <utility>

#include "datagram_sizes.hpp"
#include "matrix_areas.hpp"
#include "matrix_steps.hpp"

namespace tcpcheck::detail {

namespace {

using step_kind = script_step::kind;

std::vector<script_step> steps_before(const script& baseline, std::size_t k) {
  return {baseline.steps.begin(), baseline.steps.begin() + static_cast<std::ptrdiff_t>(k)};
}

class datagram_client_generator {
public:
  explicit datagram_client_generator(const script& baseline) : baseline_(baseline) {
    for (std::size_t i = 0; i < baseline.steps.size(); ++i)
      if (baseline.steps[i].what == step_kind::send) replies_.push_back(i);
  }

  std::vector<check_case> run() {
    add("segmentation/whole", check_area::segmentation,
        "the conversation as written, one datagram per reply (the baseline)", baseline_,
        client_oracle::same_as_baseline);
    for (std::size_t k : replies_) {
      const std::string line = std::to_string(baseline_.steps[k].line);
      lost(k, line);
      doubled(k, line);
    }
    sizes();
    return std::move(cases_);
  }

private:
  check_case* add(std::string id, check_area area, std::string title, script steps,
                  client_oracle oracle, std::string hint = {}) {
    cases_.push_back(
        case_of(std::move(id), area, std::move(title), std::move(steps), std::move(hint)));
    cases_.back().oracle = oracle;
    return &cases_.back();
  }

  // A case of `steps`, unless its script does not parse.
  check_case* add_made(std::string id, check_area area, std::string title,
                       std::vector<script_step> steps, client_oracle oracle, std::string hint) {
    auto made = canonical(baseline_, std::move(steps), "tcpcheck check: " + title);
    if (!made) return nullptr;
    return add(std::move(id), area, std::move(title), *std::move(made), oracle, std::move(hint));
  }

  // The reply never arrives, and tcpcheck says nothing more: the client
  // must see that within its own timeout and end (asking again first is
  // fine).
  void lost(std::size_t k, const std::string& line) {
    add_made("loss/line-" + line, check_area::loss,
             "the reply of line " + line + " lost, nothing after it", steps_before(baseline_, k),
             client_oracle::ends_cleanly,
             "after a lost reply the client did not end by itself: it waits forever, or died");
  }

  // The reply twice: the client must do and print what it did once.
  void doubled(std::size_t k, const std::string& line) {
    std::vector<script_step> steps = baseline_.steps;
    steps.insert(steps.begin() + static_cast<std::ptrdiff_t>(k), baseline_.steps[k]);
    add_made("duplication/line-" + line, check_area::duplication,
             "the reply of line " + line + " sent twice", std::move(steps),
             client_oracle::same_as_baseline,
             "a duplicated reply (UDP may deliver one twice) changed what the client did");
  }

  // The first reply with no variable in it, grown one byte over common
  // receive buffers; the conversation ends there.
  void sizes() {
    const auto first = std::find_if(replies_.begin(), replies_.end(), [&](std::size_t k) {
      return literal_payload(baseline_.steps[k].payload).has_value();
    });
    if (first == replies_.end()) return;
    const script_step& reply = baseline_.steps[*first];
    const byte_buffer head = *literal_payload(reply.payload);
    const std::string from = " (the reply of line " + std::to_string(reply.line) + ", grown)";
    for (const auto& size : datagram_sizes()) {
      std::vector<script_step> steps = steps_before(baseline_, *first);
      byte_buffer datagram = grown_datagram(head, size.bytes);
      steps.push_back(send_raw(reply.connection, datagram));
      check_case* c =
          add_made("size/" + size.name, check_area::size, "a reply of " + size.description + from,
                   std::move(steps), client_oracle::ends_cleanly,
                   "the client printed the start of a long reply but not its end: it reads "
                   "datagrams through a smaller buffer, which cuts them without a word (seed 001)");
      if (c) c->truncation_probe = std::move(datagram);
    }
  }

  const script& baseline_;
  std::vector<std::size_t> replies_;
  std::vector<check_case> cases_;
};

} // namespace

// Neither the spec (the replies are grown raw) nor the options (the sizes
// are fixed) shape this matrix yet; the signature is the other matrices'.
std::vector<check_case> datagram_client_matrix(const script& baseline, const framing_spec&,
                                               const matrix_options&) {
  return datagram_client_generator(baseline).run();
}

} // namespace tcpcheck::detail
