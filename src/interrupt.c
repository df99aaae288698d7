/* interrupt.c: the Ctrl-C flag of long C loops (interrupt.h). */
#include "interrupt.h"

#include <signal.h>

static volatile sig_atomic_t interrupted;

void gd_interrupt_raise(void) { interrupted = 1; }

void gd_interrupt_clear(void) { interrupted = 0; }

int gd_interrupt_take(void) {
  if (!interrupted) return 0;
  interrupted = 0;
  return 1;
}
