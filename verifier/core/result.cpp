#include "verifier/core/result.hpp"

namespace dp {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_input:
      return "invalid_input";
    case Errc::not_found:
      return "not_found";
    case Errc::io:
      return "io";
    case Errc::timeout:
      return "timeout";
    case Errc::interrupted:
      return "interrupted";
    case Errc::process_failed:
      return "process_failed";
    case Errc::engine:
      return "engine";
    case Errc::unsupported:
      return "unsupported";
    case Errc::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace dp
