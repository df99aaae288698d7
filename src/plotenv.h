/* plotenv.h: what gd.plot asks of its surroundings before it draws: the
 * text terminal's size (for GD_PLOT=dumb) and whether a display server
 * answers at all (so a dead DISPLAY falls back to files instead of
 * hanging a window terminal).  No Lua here. */
#ifndef GD_PLOTENV_H
#define GD_PLOTENV_H

/* The size of the terminal on fd in characters; 0, or -1 when fd is no tty. */
int gd_plotenv_ttysize(int fd, int *cols, int *rows);

/* 1 when the X display named `display` ("[host]:n[.screen]") or, when
 * `wayland` is nonzero, the Wayland socket `display` answers a first request
 * (X11's connection setup, Wayland's wl_display.sync) within timeout_ms; else 0, with the reason in why (size bytes). */
int gd_plotenv_display_answers(const char *display, int wayland, int timeout_ms,
                               char *why, unsigned size);

#endif
