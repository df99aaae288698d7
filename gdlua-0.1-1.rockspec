-- luarocks --lua-version 5.4 make: builds gd/core.so and installs gd (module + Lua parts) and the gdlua executable.
rockspec_format = "3.0"
package = "gdlua"
version = "0.1-1"
source = { url = "git+file:///dev/null" }
description = {
  summary = "n-d float64 tensors, autodiff, optimizers and plots for Lua 5.4",
  detailed = "The gd module: tensors over OpenBLAS/LAPACK, a gradient tape, optimizers, layers and gnuplot plots.",
  license = "MIT",
}
dependencies = { "lua >= 5.4, < 5.5" }
external_dependencies = {
  OPENBLAS = { library = "openblas" },
  LAPACKE = { header = "lapacke.h" },
}
build = {
  type = "make",
  build_target = "all",
  install_target = "rock-install",
  build_variables = { BUILD = "build/rock" },
  install_variables = { BUILD = "build/rock", INST_LIBDIR = "$(LIBDIR)", INST_LUADIR = "$(LUADIR)", INST_BINDIR = "$(BINDIR)" },
}
