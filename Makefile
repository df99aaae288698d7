# gdlua: build, test, run, bench, install.
#   make              build ./gdlua and ./gd/core.so
#   make deps         install missing Debian packages (needs root or sudo)
#   make run          deps + build + the main job
#   make test         build and run every spec; last line "N passed, N failed"
#   make test SANITIZE=1   the same under ASan + UBSan (separate build dir)
#   make bench        benchmark table, side by side with PyTorch when installed
#   make install PREFIX=/usr/local   (also the Jupyter kernelspec, in PREFIX/share/jupyter)
#   make clean
#   make BUILD=dir    build into dir/ instead (parallel work trees)

PREFIX    ?= /usr/local
CC        ?= cc
PKGS      := lua5.4 openblas lapacke libzmq
DEB_PKGS  := lua5.4 liblua5.4-dev libopenblas-dev liblapacke-dev libreadline-dev \
             gnuplot-x11 lua-busted tmux luarocks pkg-config gcc make \
             libzmq3-dev jupyter-client python3-jupyter-client python3-jupyter-kernel-test \
             jupyter-nbconvert python3-nbclient chromium
MAIN      := scripts/mle_normal.lua

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs openblas lapacke libzmq 2>/dev/null)
LUA_LIBS   := $(shell pkg-config --libs lua5.4 2>/dev/null)

WARN    := -Wall -Wextra -pedantic -Wshadow -Wmissing-prototypes
CFLAGS  ?= -O3 -g
XCFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -pthread -fPIC -fno-math-errno -fno-trapping-math $(WARN) $(PKG_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lm -pthread

ifeq ($(SANITIZE),1)
  B       := build/san
  XCFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
  GDLUA   := $(B)/gdlua
  MODDIR  := $(B)/gd
  TESTENV := ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp
else ifneq ($(BUILD),)
  B       := $(BUILD)/obj
  GDLUA   := $(BUILD)/gdlua
  MODDIR  := $(BUILD)/gd
  TESTENV :=
else
  B       := build/obj
  GDLUA   := ./gdlua
  MODDIR  := gd
  TESTENV :=
endif

CORE_SRC := $(filter-out src/gdlua%.c src/embed.c src/l%.c, $(wildcard src/*.c))
EXE_SRC  := $(wildcard src/gdlua*.c)
BIND_SRC := $(wildcard src/l*.c)
LIB_OBJ  := $(patsubst src/%.c,$(B)/%.o,$(CORE_SRC) $(BIND_SRC))
LUA_SRC  := $(wildcard lua/gd/*.lua)

.PHONY: all deps run test bench install clean rock-install
all: $(GDLUA) $(MODDIR)/core.so

$(B)/%.o: src/%.c $(wildcard src/*.h) | $(B)
	$(CC) $(CFLAGS) $(XCFLAGS) -c -o $@ $<

$(B):
	mkdir -p $@

$(B)/embed: src/embed.c | $(B)
	$(CC) -std=c11 -O1 -o $@ $<

# The pure-Lua parts, embedded so gdlua runs from any directory.
$(B)/embedded.c: $(B)/embed $(LUA_SRC)
	$(B)/embed $@ $(foreach f,$(LUA_SRC),$(subst /,.,$(patsubst lua/%.lua,%,$(f)))=$(f))

$(B)/embedded.o: $(B)/embedded.c
	$(CC) $(CFLAGS) $(XCFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(GDLUA): $(LIB_OBJ) $(patsubst src/%.c,$(B)/%.o,$(EXE_SRC)) $(B)/embedded.o
	$(CC) $(LDFLAGS) -Wl,-E -o $@ $^ $(LUA_LIBS) $(LDLIBS) -lreadline

$(MODDIR)/core.so: $(LIB_OBJ)
	@mkdir -p $(MODDIR)
	$(CC) $(LDFLAGS) -shared -o $@ $^ $(LDLIBS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	else echo "all Debian packages present"; fi

run: deps
	@$(MAKE) --no-print-directory all
	$(GDLUA) $(MAIN)

test: all
	@$(TESTENV) GD_PLOT=none GDLUA=$(GDLUA) $(GDLUA) tests/run.lua $(FILTER)

bench: all
	@$(GDLUA) tests/bench/run.lua

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/lua/5.4/gd $(DESTDIR)$(PREFIX)/share/lua/5.4/gd
	install -m 755 $(GDLUA) $(DESTDIR)$(PREFIX)/bin/gdlua
	install -m 755 $(MODDIR)/core.so $(DESTDIR)$(PREFIX)/lib/lua/5.4/gd/core.so
	install -m 644 $(LUA_SRC) $(DESTDIR)$(PREFIX)/share/lua/5.4/gd/
	install -d $(DESTDIR)$(PREFIX)/share/doc/gdlua
	install -m 644 README.md $(DESTDIR)$(PREFIX)/share/doc/gdlua/README.md
	$(DESTDIR)$(PREFIX)/bin/gdlua --install-kernel --prefix $(DESTDIR)$(PREFIX)

clean:
	rm -rf build gd gdlua plots

# luarocks' install step (see gdlua-0.1-1.rockspec).
rock-install: all
	install -d $(INST_LIBDIR)/gd $(INST_LUADIR)/gd $(INST_BINDIR)
	install -m 755 $(MODDIR)/core.so $(INST_LIBDIR)/gd/core.so
	install -m 644 $(LUA_SRC) $(INST_LUADIR)/gd/
	install -m 755 $(GDLUA) $(INST_BINDIR)/gdlua
