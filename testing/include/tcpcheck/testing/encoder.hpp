// The encoder: what the helpers that build their own streams need from a
// user's code, a function that frames one payload as it would go on the wire.
//
//   tcpcheck::testing::encoder encode = [](tcpcheck::byte_view payload) {
//     return my::frame(payload);
//   };
//
// It must frame any payload it is given, even one above the decoder's limit:
// the limit checks send such frames on purpose. To refuse, throw; the helper
// reports the refusal as a failure.
#pragma once

#include "tcpcheck/bytes.hpp"

#include <functional>

namespace tcpcheck::testing {

using encoder = std::function<byte_buffer(byte_view payload)>;

} // namespace tcpcheck::testing
