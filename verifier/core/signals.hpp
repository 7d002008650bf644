#pragma once
// Process-wide interruption. SIGINT and SIGTERM set a flag; long waits poll
// it, return Errc::interrupted, and RAII tears scratch servers down.
namespace dp {

// Installs the handlers once; idempotent.
void install_interrupt_handlers();
bool interrupted();
// The signal that interrupted us (SIGINT/SIGTERM), or 0.
int interrupt_signal();
// For tests and for deadline-wide aborts.
void request_interrupt(int signo);
void clear_interrupt();

}  // namespace dp
