/* interrupt.h: the flag that a Ctrl-C (SIGINT) sets while gdlua runs a
 * chunk, for long C loops to look at.
 *
 * Lua code is stopped by a hook (src/gdlua.c), but a hook only runs
 * between Lua instructions: a loop that stays in C (a fit whose every layer
 * is a C layer) checks this flag once per step instead and stops with
 * the same "interrupted!" error.  Async-signal-safe: a sig_atomic_t.
 * No Lua here.
 */
#ifndef GD_INTERRUPT_H
#define GD_INTERRUPT_H

/* Mark an interrupt as asked for (from a signal handler). */
void gd_interrupt_raise(void);
/* Forget an interrupt asked for (before and after each chunk). */
void gd_interrupt_clear(void);
/* 1 if an interrupt was asked for, and forget it: the caller stops with
 * "interrupted!" (so the Lua hook set by the same Ctrl-C does not raise a
 * second error, in the middle of reporting the first). */
int gd_interrupt_take(void);

#endif
