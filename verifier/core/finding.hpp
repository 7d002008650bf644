#pragma once
// A finding is data about the backup (CONVENTIONS §3): never an error.
#include <string>

namespace dp {

enum class Severity { info, warning, error };

struct Finding {
  std::string check_id;  // the check's name
  std::string target;    // the object concerned, e.g. "public.orders"
  Severity severity = Severity::error;
  std::string message;   // "1200 rows, expected 1210"
  std::string evidence;  // raw material an auditor can re-check
};

inline const char* severity_name(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "error";
}

}  // namespace dp
