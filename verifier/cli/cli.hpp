#pragma once
// argv -> subcommand -> exit code (CONVENTIONS §2). Exit codes: 0 all
// passed, 1 a check or objective failed, 2 usage or plan error, 3 could not
// test (scratch would not start, restore failed, timed out, interrupted).
namespace dp::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_findings = 1;
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_untestable = 3;

int main(int argc, char** argv);

}  // namespace dp::cli
