-- csv_spec.lua: gd.data.read_csv / write_csv round trips (quoted header
-- names, empty tables, NaN), atomic writes, folders, and argument errors at
-- the caller's line.
local u = require "tests.helpers.util"
local close = u.close
local errors = u.errors

local SPEC = "tests/csv_spec.lua"
local function errors_at(line, f, ...) return u.errors_at(SPEC, line, f, ...) end
local here, tmpdir, listing, slurp, spit = u.here, u.tmpdir, u.listing, u.slurp, u.spit

describe("gd.data CSV", function()
  it("quotes header names when needed and reads them back as they were", function()
    local d = tmpdir()
    local p = d .. "/q.csv"
    local names = { "plain", "a,b", 'say "hi"', " padded ", "", "two\nlines" }
    local x = gd.tensor{ { 1, 2, 3, 4, 5, 6 }, { -1, -2, -3, -4, -5, -6 } }
    assert.is_true(gd.data.write_csv(p, x, { header = names }))
    -- RFC 4180 by hand: quoted when holding , " CR LF, edge spaces, or empty; inner quotes doubled
    local want = 'plain,"a,b","say ""hi"""," padded ","","two\nlines"\n1,2,3,4,5,6\n-1,-2,-3,-4,-5,-6\n'
    assert.equal(want, slurp(p))
    local r, got = gd.data.read_csv(p, { header = true })
    assert.same(names, got)
    close(r, x, 0)
    -- a data error after a multi-line header names the file's line
    spit(p, '"a\nb",c\n1,2\n3,x\n')
    errors(function() gd.data.read_csv(p, { header = true }) end, "line 4, column 2", "'x'")
    spit(p, '"open,b\n1,2\n')
    errors(function() gd.data.read_csv(p, { header = true }) end, "unterminated quote")
    assert.same({ "q.csv" }, listing(d))
    os.execute("rm -r " .. d)
  end)
  it("checks the header's count on write (before touching the file) and on read", function()
    local p = os.tmpname()
    spit(p, "old\n")
    local line = here() + 1
    errors_at(line, function() gd.data.write_csv(p, gd.zeros(2, 3), { header = { "a", "b" } }) end,
      "gd.data.write_csv", "2 names for 3 columns", "{2,3}")
    line = here() + 1
    errors_at(line, function() gd.data.write_csv(p, gd.zeros(2, 2), { header = { "a", {} } }) end,
      "header[2]: string expected, got table")
    assert.equal("old\n", slurp(p))
    spit(p, "a,b\n1,2,3\n")
    errors(function() gd.data.read_csv(p, { header = true }) end, "line 2: 3 fields, expected 2")
    spit(p, "a,b,c\n1,2\n")
    errors(function() gd.data.read_csv(p, { header = true }) end, "line 2: 2 fields, expected 3")
    os.remove(p)
  end)
  it("a 0×3 tensor with a header comes back 0×3; a one-column NaN row is not lost", function()
    local p = os.tmpname()
    assert.is_true(gd.data.write_csv(p, gd.zeros(0, 3), { "a", "b", "c" }))
    local r, names = gd.data.read_csv(p, { header = true })
    assert.same({ 0, 3 }, r.shape)
    assert.same({ "a", "b", "c" }, names)
    local nan = 0 / 0
    assert.is_true(gd.data.write_csv(p, gd.tensor{ 1, nan, nan }))
    r = gd.data.read_csv(p)
    assert.same({ 3, 1 }, r.shape)
    assert.equal(1, r:at(1, 1))
    assert.is_true(r:at(2, 1) ~= r:at(2, 1) and r:at(3, 1) ~= r:at(3, 1))
    local line = here() + 1
    errors_at(line, function() gd.data.write_csv(p, gd.zeros(3, 0)) end, "{3,0} has no columns")
    os.remove(p)
  end)
  it("read_csv of a folder returns nil, '<path>: Is a directory'", function()
    local d = tmpdir()
    local r, msg = gd.data.read_csv(d)
    assert.is_nil(r)
    assert.equal(d .. ": Is a directory", msg)
    r, msg = gd.data.read_csv(d, { header = true })
    assert.is_nil(r)
    assert.equal(d .. ": Is a directory", msg)
    local ok, wmsg = gd.data.write_csv(d, gd.zeros(1, 1))
    assert.is_nil(ok)
    assert.equal(d .. ": Is a directory", wmsg)
    os.execute("rm -r " .. d)
  end)
  it("reads a file that is not regular (a pipe) to its end", function()
    local out = u.sh_line("printf 'a,b\\n1,2\\n3,4\\n' | " .. u.gdlua ..
      " -e \"local r, n = gd.data.read_csv('/dev/stdin', {header = true}); " ..
      "io.write(n[2], ' ', r:sum():item(), ' ', r.shape[1])\"")
    assert.equal("b 10 2", out)
  end)
  it("a failed write leaves the old file intact and no temporary file", function()
    local d = tmpdir()
    local p = d .. "/t.csv"
    assert.is_true(gd.data.write_csv(p, gd.tensor{ { 1, 2 } }, { "a", "b" }))
    local old = slurp(p)
    assert.equal("a,b\n1,2\n", old)
    -- fails late, in the middle of the data: the file size limit (EFBIG)
    local out = u.sh_line("sh -c 'ulimit -f 4; trap \"\" XFSZ; exec " .. u.gdlua ..
      " -e \"local ok, m = gd.data.write_csv([[" .. p .. "]], gd.randn(1000, 5)); io.write(tostring(ok), [[|]], m)\"' 2>&1")
    assert.equal("nil|" .. p .. ": File too large", out)
    assert.equal(old, slurp(p))
    assert.same({ "t.csv" }, listing(d))
    local ok, msg = gd.data.write_csv(d .. "/none/t.csv", gd.zeros(1, 1))
    assert.is_nil(ok)
    assert.equal(d .. "/none/t.csv: No such file or directory", msg)
    -- the new content replaces the old at once, with the old file's mode
    os.execute("chmod 640 " .. p)
    assert.is_true(gd.data.write_csv(p, gd.tensor{ { 3, 4 } }, { "c", "d" }))
    assert.equal("c,d\n3,4\n", slurp(p))
    assert.equal("640", u.sh_line("stat -c %a " .. p))
    assert.same({ "t.csv" }, listing(d))
    os.execute("rm -r " .. d)
  end)
  it("options and arguments are checked at the caller's line", function()
    local line = here() + 1
    errors_at(line, function() gd.data.read_csv("x.csv", { headr = true }) end, "gd.data.read_csv", "unknown option 'headr'")
    line = here() + 1
    errors_at(line, function() gd.data.read_csv("x.csv", { header = 1 }) end, "header: boolean expected, got 1")
    line = here() + 1
    errors_at(line, function() gd.data.write_csv("x.csv", gd.zeros(1, 1), { headers = { "a" } }) end,
      "unknown option 'headers'")
    line = here() + 1
    errors_at(line, function() gd.data.write_csv(42, gd.zeros(1, 1)) end, "argument 1: path expected, got 42")
    line = here() + 1
    errors_at(line, function() gd.data.write_csv("x.csv", gd.zeros(2, 2, 2)) end, "1-d or 2-d", "{2,2,2}")
    line = here() + 1
    errors_at(line, function() gd.data.batches(gd.zeros(4, 1), nil, 0) end, "gd.data.batches", "batch size", "got 0")
    line = here() + 1
    errors_at(line, function() gd.data.batches(gd.zeros(4, 1), nil, 2, { shufle = true }) end, "unknown option 'shufle'")
    line = here() + 1
    errors_at(line, function() gd.data.split(gd.zeros(4, 1), nil, { train = 2 }) end, "gd.data.split", "train", "got 2")
    line = here() + 1
    errors_at(line, function() gd.data.split(gd.zeros(4, 1), gd.zeros(3, 1)) end, "x has 4 rows, y has 3")
  end)
end)
