-- json_spec.lua: gd.json (src/json.c, src/ljson.c).  JSONTestSuite-style
-- samples written for this spec: y_ texts must parse to the given value,
-- n_ texts must be rejected with the given reason at the given byte.  Then
-- surrogate pairs and UTF-8, exact numbers and shortest round-trip doubles
-- (expected texts are Python's repr, an independent implementation), the
-- Lua mapping, encoder errors with paths, nesting limits and big inputs.
local u = require "tests.helpers.util"
local gd = require "gd"
local J = gd.json

local ARRAY_MT = getmetatable(J.array {})

--- Deep equality that also compares number subtypes and array marks.
local function same(a, b, where)
  where = where or "value"
  if type(a) ~= type(b) then return false, where .. ": " .. type(a) .. " vs " .. type(b) end
  if type(a) == "number" then
    if math.type(a) ~= math.type(b) then return false, where .. ": " .. math.type(a) .. " vs " .. math.type(b) end
    if a ~= b and not (a ~= a and b ~= b) then return false, where .. string.format(": %.17g vs %.17g", a, b) end
    if a == 0 and math.type(a) == "float" and 1 / a ~= 1 / b then return false, where .. ": sign of zero" end
    return true
  end
  if type(a) ~= "table" then
    if a ~= b then return false, where .. ": " .. tostring(a) .. " vs " .. tostring(b) end
    return true
  end
  if getmetatable(a) ~= getmetatable(b) then return false, where .. ": array marks differ" end
  for k, v in pairs(a) do
    local ok, why = same(v, b[k], where .. "." .. tostring(k))
    if not ok then return false, why end
  end
  for k in pairs(b) do
    if a[k] == nil then return false, where .. ": extra key " .. tostring(k) end
  end
  return true
end

local function assert_same(want, got, msg)
  local ok, why = same(want, got)
  assert(ok, (msg or "") .. " " .. tostring(why))
end

local A = J.array
local null = J.null

describe("gd.json.decode accepts", function()
  local y = {
    { "y_array_empty", "[]", A {} },
    { "y_array_nested_empty", "[[],[[]]]", A { A {}, A { A {} } } },
    { "y_object_empty", "{}", {} },
    { "y_object_simple", '{"a":1}', { a = 1 } },
    { "y_object_nested", '{"a":{"b":[1,{"c":null}]}}', { a = { b = A { 1, { c = null } } } } },
    { "y_object_duplicated_key_last_wins", '{"a":1,"a":2}', { a = 2 } },
    { "y_object_empty_key", '{"":0}', { [""] = 0 } },
    { "y_structure_whitespace", ' \t\r\n[ 1 ,\n2\t]\r\n ', A { 1, 2 } },
    { "y_structure_lonely_true", "true", true },
    { "y_structure_lonely_false", "false", false },
    { "y_structure_lonely_null", "null", null },
    { "y_structure_lonely_string", '"asd"', "asd" },
    { "y_structure_lonely_int", "42", 42 },
    { "y_structure_lonely_negative_real", "-0.1", -0.1 },
    { "y_array_with_nulls", "[null,1,null]", A { null, 1, null } },
    { "y_array_heterogeneous", '[null,1,"1",{},true,false,1.5]', A { null, 1, "1", {}, true, false, 1.5 } },
    { "y_number_0", "0", 0 },
    { "y_number_minus_zero", "-0", 0 },
    { "y_number_minus_zero_float", "-0.0", -0.0 },
    { "y_number_real_exponent", "1e2", 100.0 },
    { "y_number_capital_E_plus", "1E+2", 100.0 },
    { "y_number_exponent_minus", "123e-2", 1.23 },
    { "y_number_fraction_exponent", "1.5e3", 1500.0 },
    { "y_number_exponent_leading_zeros", "1e007", 1e7 },
    { "y_number_int_max", "9223372036854775807", math.maxinteger },
    { "y_number_int_min", "-9223372036854775808", math.mininteger },
    { "y_number_past_int_max", "9223372036854775808", 9223372036854775808.0 },
    { "y_number_past_int_min", "-9223372036854775809", -9223372036854775808.0 },
    { "y_number_huge_int", "123456789012345678901234567890", 1.2345678901234568e29 },
    { "y_number_real_overflow", "1e400", math.huge },
    { "y_number_real_neg_overflow", "-1e400", -math.huge },
    { "y_number_real_underflow", "1e-400", 0.0 },
    { "y_number_subnormal", "4.9406564584124654e-324", 5e-324 },
    { "y_number_max", "1.7976931348623157e308", 1.7976931348623157e308 },
    { "y_number_min_normal", "2.2250738585072014e-308", 2.2250738585072014e-308 },
    { "y_number_NaN", "NaN", 0 / 0 },
    { "y_number_Infinity", "[Infinity,-Infinity]", A { math.huge, -math.huge } },
    { "y_string_escapes", [["\"\\\/\b\f\n\r\t"]], "\"\\/\b\f\n\r\t" },
    { "y_string_u_escape_ascii", [["\u0041\u0062"]], "Ab" },
    { "y_string_u_escape_nul", [["a\u0000b"]], "a\0b" },
    { "y_string_u_escape_2byte", [["\u00e9"]], "\xC3\xA9" },
    { "y_string_u_escape_3byte", [["\u20AC"]], "\xE2\x82\xAC" },
    { "y_string_u_escape_uFFFF", [["\uffff"]], "\xEF\xBF\xBF" },
    { "y_string_surrogate_pair_emoji", [["\ud83d\ude00"]], "\xF0\x9F\x98\x80" },
    { "y_string_surrogate_pair_G_clef", [["\uD834\uDD1E"]], "\xF0\x9D\x84\x9E" },
    { "y_string_surrogate_pair_max", [["\uDBFF\uDFFF"]], "\xF4\x8F\xBF\xBF" },
    { "y_string_utf8_raw", '"é€😀"', "é€😀" },
    { "y_string_utf8_max", '"\xF4\x8F\xBF\xBF"', "\xF4\x8F\xBF\xBF" },
    { "y_string_del_raw", '"\x7f"', "\x7f" },
    { "y_string_key_escaped", [[{"a\nb":"\u00e9"}]], { ["a\nb"] = "\xC3\xA9" } },
  }
  for _, c in ipairs(y) do
    it(c[1], function() assert_same(c[3], J.decode(c[2]), c[1]) end)
  end
end)

describe("gd.json.decode rejects", function()
  -- name, text, reason (plain substring), 1-based byte of the error
  local n = {
    { "n_array_trailing_comma", "[1,]", "trailing comma", 3 },
    { "n_object_trailing_comma", '{"a":1,}', "trailing comma", 7 },
    { "n_array_missing_comma", "[1 2]", "',' or ']'", 4 },
    { "n_array_unclosed", "[1", "',' or ']'", 3 },
    { "n_array_leading_comma", "[,1]", "unexpected ','", 2 },
    { "n_array_double_comma", "[1,,2]", "unexpected ','", 4 },
    { "n_object_missing_colon", '{"a" 1}', "':' after a key", 6 },
    { "n_object_non_string_key", "{1:2}", "a string key", 2 },
    { "n_object_single_quote", "{'a':1}", "a string key", 2 },
    { "n_object_unclosed", '{"a":1', "',' or '}'", 7 },
    { "n_object_missing_value", '{"a":}', "a value", 6 },
    { "n_number_leading_zero", "01", "leading zero", 1 },
    { "n_number_neg_leading_zero", "-012", "leading zero", 1 },
    { "n_number_plus", "+1", "unexpected '+'", 1 },
    { "n_number_dot_first", ".5", "unexpected '.'", 1 },
    { "n_number_dot_last", "1.", "a digit after '.'", 3 },
    { "n_number_exp_empty", "1e", "a digit in the exponent", 3 },
    { "n_number_exp_sign_only", "1e+", "a digit in the exponent", 4 },
    { "n_number_minus_only", "-", "a digit after '-'", 2 },
    { "n_number_hex", "0x1", "end of input after the value", 2 },
    { "n_number_plus_Infinity", "+Infinity", "unexpected '+'", 1 },
    { "n_number_minus_NaN", "-NaN", "a digit after '-'", 2 },
    { "n_number_lowercase_nan", "nan", "invalid literal", 1 },
    { "n_literal_truncated", "tru", "invalid literal", 1 },
    { "n_literal_capital", "True", "unexpected 'T'", 1 },
    { "n_literal_null_prefix", "[nulll]", "',' or ']'", 6 },
    { "n_literal_infinity_short", "Inf", "invalid literal", 1 },
    { "n_string_unterminated", '"abc', "unterminated string", 1 },
    { "n_string_single_quote", "'a'", "unexpected ''", 1 },
    { "n_string_raw_newline", '"a\nb"', "control character U+000A", 3 },
    { "n_string_raw_tab", '"\t"', "control character U+0009", 2 },
    { "n_string_raw_nul", '"\0"', "control character U+0000", 2 },
    { "n_string_bad_escape", [["\x41"]], "invalid escape", 2 },
    { "n_string_escape_at_end", '"\\', "unterminated string", 1 },
    { "n_string_short_u", [["\u12"]], "4 hex digits", 2 },
    { "n_string_bad_hex", [["\u12G4"]], "4 hex digits", 2 },
    { "n_string_lone_high_surrogate", [["\ud800"]], "lone high surrogate", 2 },
    { "n_string_lone_low_surrogate", [["\udc00"]], "lone low surrogate", 2 },
    { "n_string_high_then_ascii", [["\ud83dx"]], "lone high surrogate", 2 },
    { "n_string_high_then_high", [["\ud83d\ud83d"]], "lone high surrogate", 2 },
    { "n_string_reversed_pair", [["\ude00\ud83d"]], "lone low surrogate", 2 },
    { "n_string_utf8_lone_continuation", '"\x80"', "invalid UTF-8", 2 },
    { "n_string_utf8_overlong_2", '"\xC0\x80"', "invalid UTF-8", 2 },
    { "n_string_utf8_overlong_3", '"\xE0\x80\x80"', "invalid UTF-8", 2 },
    { "n_string_utf8_surrogate", '"a\xED\xA0\x80"', "invalid UTF-8", 3 },
    { "n_string_utf8_past_10FFFF", '"\xF4\x90\x80\x80"', "invalid UTF-8", 2 },
    { "n_string_utf8_F5", '"\xF5\x80\x80\x80"', "invalid UTF-8", 2 },
    { "n_string_utf8_truncated", '"\xE2\x82"', "invalid UTF-8", 2 },
    { "n_string_utf8_FF", '"\xFF"', "invalid UTF-8", 2 },
    { "n_structure_empty", "", "unexpected end of input", 1 },
    { "n_structure_only_spaces", "  ", "unexpected end of input", 3 },
    { "n_structure_two_values", "1 2", "end of input after the value", 3 },
    { "n_structure_trailing_garbage", "[1]x", "end of input after the value", 4 },
    { "n_structure_close_only", "]", "unexpected ']'", 1 },
    { "n_structure_mismatched_close", "[1}", "',' or ']'", 3 },
    { "n_structure_bom", "\xEF\xBB\xBF[]", "byte order mark", 1 },
    { "n_structure_nul_outside", "[1\0]", "byte 0x00", 3 },
    { "n_structure_non_ascii_outside", "[\xC3\xA9]", "byte 0xC3", 2 },
    { "n_structure_vertical_tab", "[\v1]", "byte 0x0B", 2 },
    { "n_structure_comment", "[1/*x*/]", "',' or ']'", 3 },
  }
  for _, c in ipairs(n) do
    it(c[1], function()
      local err = u.errors(function() J.decode(c[2]) end, "gd.json.decode: ", c[3])
      local at = tonumber(err:match("at byte (%d+)$"))
      assert.equal(c[4], at, err)
    end)
  end

  it("a string argument only", function()
    u.errors(function() J.decode(12) end, "gd.json.decode: argument 1: string expected, got number")
    u.errors(function() J.decode() end, "gd.json.decode: argument 1: string expected, got no value")
  end)
end)

describe("gd.json nesting", function()
  it("decodes 512 levels and rejects 513 at the 513th bracket", function()
    local v = J.decode(string.rep("[", 512) .. string.rep("]", 512))
    local d = 0
    while type(v) == "table" do d = d + 1; v = v[1] end
    assert.equal(512, d)
    local err = u.errors(function() J.decode(string.rep("[", 513) .. string.rep("]", 513)) end,
      "nesting deeper than 512")
    assert.matches("at byte 513$", err)
    u.errors(function() J.decode(string.rep('{"a":', 600) .. "1" .. string.rep("}", 600)) end,
      "nesting deeper than 512")
  end)

  it("survives hostile depth (a million brackets) with an error", function()
    u.errors(function() J.decode(string.rep("[", 1000000)) end, "nesting deeper than 512 at byte 513")
  end)

  it("encodes 512 levels and names the path past them", function()
    local function nest(n)
      local t = A {}
      for _ = 2, n do t = A { t } end
      return t
    end
    assert.equal(string.rep("[", 512) .. string.rep("]", 512), J.encode(nest(512)))
    local err = u.errors(function() J.encode(nest(513)) end, "gd.json.encode: value at [1][1]", "is nested deeper than 512 levels")
    local _, idx = err:gsub("%[1%]", "")
    assert.equal(512, idx)
  end)
end)

describe("gd.json numbers", function()
  it("keep integers as integers and everything else as floats", function()
    assert.equal("integer", math.type(J.decode("7")))
    assert.equal("float", math.type(J.decode("7.0")))
    assert.equal("float", math.type(J.decode("7e0")))
    assert.equal("7", J.encode(7))
    assert.equal("-9223372036854775808", J.encode(math.mininteger))
    assert.equal("9223372036854775807", J.encode(math.maxinteger))
  end)

  it("write the shortest round-trip text, as Python's repr", function()
    local cases = {
      { 0.1, "0.1" }, { 1 / 3, "0.3333333333333333" }, { 2 / 3, "0.6666666666666666" },
      { 0.1 + 0.2, "0.30000000000000004" }, { 1e22, "1e+22" }, { 123456789.0, "123456789.0" },
      { 1e-7, "1e-07" }, { 5e-324, "5e-324" }, { 1e-310, "1e-310" },
      { 2.2250738585072014e-308, "2.2250738585072014e-308" },
      { 1.7976931348623157e308, "1.7976931348623157e+308" }, { 1e300, "1e+300" },
      { 0.5, "0.5" }, { 100.0, "100.0" }, { 2.0, "2.0" }, { -0.0, "-0.0" }, { 0.0, "0.0" },
      { 12345.678, "12345.678" }, { -1.5, "-1.5" }, { 1e15, "1000000000000000.0" }, { 1e16, "1e+16" },
      { -19416912741730444.0, "-1.9416912741730444e+16" }, { 123456789012345680.0, "1.2345678901234568e+17" },
      { 1e-5, "1e-05" }, { 0.0001, "0.0001" }, { 2.5e-320, "2.5e-320" }, { 9.999999999999999e22, "1e+23" },
      -- 17th digit 5: rounding the 17 digits to 16 is a tie that only the binary value settles
      { 939167018948.5865, "939167018948.5865" }, { 221691666.27303505, "221691666.27303505" },
      { 92650662.3785866, "92650662.3785866" },
    }
    for _, c in ipairs(cases) do assert.equal(c[2], J.encode(c[1])) end
  end)

  it("write NaN, Infinity, -Infinity and read them back", function()
    assert.equal("[NaN,Infinity,-Infinity]", J.encode { 0 / 0, math.huge, -math.huge })
    local v = J.decode("[NaN,Infinity,-Infinity]")
    assert.is_true(v[1] ~= v[1])
    assert.equal(math.huge, v[2])
    assert.equal(-math.huge, v[3])
  end)

  it("round-trip edge doubles exactly, sign of zero included", function()
    local edges = { 0.1, 1e-310, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308,
      2.2250738585072014e-308, 2.225073858507201e-308, -0.0, 0.0, 1 - 2 ^ -53, 1 + 2 ^ -52,
      2 ^ 53, 2 ^ 53 + 2, 2 ^ 63, 1e15, 1e16, 1e17, 123456789012345680.0, math.pi, math.exp(1) }
    for _, x in ipairs(edges) do
      local s = J.encode(x)
      local y = J.decode(s)
      assert.equal("float", math.type(y), s)
      assert.is_true(x == y and 1 / x == 1 / y, string.format("%.17g -> %s -> %.17g", x, s, y))
      assert.is_true(#s <= 24, s)
    end
  end)

  it("round-trip 20000 random doubles from random bit patterns", function()
    local rng = gd.Generator(14)
    local n = 0
    for _ = 1, 20000 do
      local hi = rng:randint(0, 2 ^ 32 - 1, { 1 })[1]
      local lo = rng:randint(0, 2 ^ 32 - 1, { 1 })[1]
      local x = string.unpack("<d", string.pack("<I4I4", math.tointeger(lo), math.tointeger(hi)))
      if x == x and x ~= math.huge and x ~= -math.huge then
        local y = J.decode(J.encode(x))
        if not (x == y and 1 / x == 1 / y) then error(string.format("%.17g round-trips to %.17g", x, y)) end
        n = n + 1
      end
    end
    assert.is_true(n > 19900)
  end)

  it("read long number texts exactly as strtod would", function()
    assert.equal(1e300, J.decode("1" .. string.rep("0", 300) .. ".0"))
    assert.equal(0.0, J.decode("0." .. string.rep("0", 400) .. "1"))
    assert.equal(0.1, J.decode("0.1" .. string.rep("0", 1000)))
    -- halfway between 1 and its successor, then just above: round to even, then up
    assert.equal(1.0, J.decode("1.00000000000000011102230246251565404236316680908203125"))
    assert.equal(1 + 2 ^ -52, J.decode("1.00000000000000011102230246251565404236316680908203126"))
  end)
end)

describe("gd.json.encode", function()
  it("writes objects, arrays, null and marked empty arrays", function()
    assert.equal('{"a":1,"b":[1,2.5,"x"],"c":null,"d":[],"e":{}}',
      J.encode({ a = 1, b = { 1, 2.5, "x" }, c = null, d = A {}, e = {} }, { sort_keys = true }))
    assert.equal("[1,null,3]", J.encode { 1, null, 3 })
    assert.equal("null", J.encode(nil))
    assert.equal("true", J.encode(true))
    assert.equal('""', J.encode(""))
  end)

  it("with indent and sort_keys writes what Python's json.dumps(indent=2, sort_keys=True) writes", function()
    local d = { b = { 1, 2.5, { z = null, a = A {} } }, a = {}, c = "x\ny", d = true }
    assert.equal('{\n  "a": {},\n  "b": [\n    1,\n    2.5,\n    {\n      "a": [],\n      "z": null\n    }\n  ],\n'
      .. '  "c": "x\\ny",\n  "d": true\n}', J.encode(d, { indent = 2, sort_keys = true }))
    assert.equal('{"a":{},"b":[1,2.5,{"a":[],"z":null}],"c":"x\\ny","d":true}', J.encode(d, { sort_keys = true }))
    assert.equal('[\n1,\n2\n]', J.encode({ 1, 2 }, { indent = 0 }))
  end)

  it("sorts keys bytewise, so output is deterministic", function()
    local t = {}
    for i = 1, 200 do t["k" .. i] = i end
    local s = J.encode(t, { sort_keys = true })
    assert.equal(s, J.encode(J.decode(s), { sort_keys = true }))
    assert.truthy(s:find('^{"k1":1,"k10":10,"k100":100,"k101":101,'))
    assert.equal('{"":1,"B":3,"a":2,"a\\u0000":5,"ab":4}',
      J.encode({ a = 2, [""] = 1, ab = 4, B = 3, ["a\0"] = 5 }, { sort_keys = true }))
  end)

  it("escapes quotes, backslashes and control characters and keeps UTF-8", function()
    assert.equal([["a\"b\\c\n\r\t\b\f\u0001\u001f\u0000/"]], J.encode("a\"b\\c\n\r\t\b\f\1\31\0/"))
    assert.equal('"é€😀\x7f"', J.encode("é€😀\x7f"))
    for c = 0, 255 do
      local s = string.char(c)
      if c < 128 then assert.equal(s, J.decode(J.encode(s)), "byte " .. c) end
    end
  end)

  it("encodes tensors as numbers and nested arrays of floats", function()
    assert.equal("3.0", J.encode(gd.tensor(3)))
    assert.equal("[1.0,2.5]", J.encode(gd.tensor { 1, 2.5 }))
    assert.equal("[[1.0,2.0],[3.0,4.0]]", J.encode(gd.tensor { { 1, 2 }, { 3, 4 } }))
    assert.equal("[[1.0,3.0],[2.0,4.0]]", J.encode(gd.tensor { { 1, 2 }, { 3, 4 } }.T))
    assert.equal("[[[0.0,0.0]]]", J.encode(gd.zeros(1, 1, 2)))
    assert.equal("[]", J.encode(gd.zeros(0)))
    assert.equal('{"w":[NaN,Infinity]}', J.encode { w = gd.tensor { 0 / 0, math.huge } })
    assert.equal("[[0.1]]", J.encode(gd.full({ 3, 4 }, 0.1):narrow(1, 2, 1):narrow(2, 3, 1)))
    assert.equal('{"v":[1.0,2.0]}', J.encode { v = gd.Variable(gd.tensor { 1, 2 }) })
    assert.same({ { 1.0, 2.0 }, { 3.0, 4.0 } }, gd.tensor(J.decode(J.encode(gd.tensor { { 1, 2 }, { 3, 4 } }))):totable())
  end)

  it("names the path of a value it cannot write", function()
    u.errors(function() J.encode { a = { 1, 2, print } } end, "gd.json.encode: value at .a[3] is a function")
    u.errors(function() J.encode(print) end, "gd.json.encode: value is a function")
    u.errors(function() J.encode { ["a b"] = { co = coroutine.create(print) } } end,
      'gd.json.encode: value at ["a b"].co is a thread')
    u.errors(function() J.encode { x = { [1] = 1, y = 2 } } end, "value at .x has both integer and string keys")
    u.errors(function() J.encode { { [true] = 1 } } end, "value at [1] has a key that is a boolean")
    u.errors(function() J.encode { [1.5] = 1 } end, "value has a key that is a number")
    u.errors(function() J.encode { 1, nil, 3 } end, "value is a sequence with holes")
    u.errors(function() J.encode { [0] = 1 } end, "value is a sequence with holes")
    u.errors(function() J.encode { s = "\xff" } end, "value at .s is a string that is not valid UTF-8 (byte 1)")
    u.errors(function() J.encode { ["\xC0\x80"] = 1 } end, "value has a key that is not valid UTF-8")
    u.errors(function() J.encode { n = io.stdout } end, "value at .n is a FILE*")
    u.errors(function() J.encode { t = gd.optim.SGD(0.1) } end, "value at .t is a gd.Optimizer")
    local m = A { 1 }
    m.x = 1
    u.errors(function() J.encode(m) end, "value is marked as an array but has string keys")
  end)

  it("detects cycles, and writes a table shared without a cycle twice", function()
    local t = { a = {} }
    t.a.back = t
    u.errors(function() J.encode(t) end, "value at .a.back is a table that contains itself (a cycle)")
    local s = { 1 }
    assert.equal("[[1],[1]]", J.encode { s, s })
  end)

  it("checks its options", function()
    u.errors(function() J.encode(1, { indnet = 2 }) end, "gd.json.encode: unknown option 'indnet' (indent, sort_keys)")
    u.errors(function() J.encode(1, { indent = -1 }) end, "option indent must be an integer in 0..64")
    u.errors(function() J.encode(1, { indent = 1.5 }) end, "option indent must be an integer in 0..64")
    u.errors(function() J.encode(1, { sort_keys = 1 }) end, "option sort_keys must be a boolean")
    u.errors(function() J.encode(1, 2) end, "argument 2 (options): table expected, got number")
  end)
end)

describe("gd.json.array and gd.json.null", function()
  it("marks arrays so that [] round-trips, and decode marks its arrays", function()
    local t = {}
    assert.equal(t, A(t))
    assert.equal("[]", J.encode(t))
    assert.equal("[]", J.encode(J.decode("[]")))
    assert.equal("{}", J.encode(J.decode("{}")))
    assert.equal(ARRAY_MT, getmetatable(J.decode("[1]")))
    assert.is_nil(getmetatable(J.decode('{"a":1}')))
    assert.equal("[]", J.encode(A()))
    u.errors(function() A(setmetatable({}, {})) end, "gd.json.array: argument 1 already has a metatable")
    u.errors(function() A(3) end, "gd.json.array: argument 1: table expected, got number")
  end)

  it("null is one unique value that sits in tables", function()
    local v = J.decode('[null,{"k":null}]')
    assert.equal(2, #v)
    assert.equal(null, v[1])
    assert.equal(null, v[2].k)
    assert.equal("userdata", type(null))
    assert.equal('{"k":null}', J.encode { k = null })
  end)
end)

describe("gd.json round trips", function()
  --- A random JSON-able value of depth at most d.
  local function random_value(rng, d)
    local k = rng:randint(1, d > 0 and 8 or 5, { 1 })[1]
    if k == 1 then return null
    elseif k == 2 then return rng:rand(1)[1] < 0.5
    elseif k == 3 then return math.tointeger(rng:randint(-1e9, 1e9, { 1 })[1])
    elseif k == 4 then return (rng:randn(1)[1] * 10 ^ rng:randint(-30, 30, { 1 })[1])
    elseif k == 5 then
      local chars = { "a", "\"", "\\", "\n", "\0", "é", "😀", "€", "/", " ", "\31" }
      local t = {}
      for i = 1, rng:randint(0, 12, { 1 })[1] do t[i] = chars[rng:randint(1, #chars, { 1 })[1]] end
      return table.concat(t)
    elseif k <= 6 then
      local t = A {}
      for i = 1, rng:randint(0, 5, { 1 })[1] do t[i] = random_value(rng, d - 1) end
      return t
    else
      local t = {}
      for i = 1, rng:randint(0, 5, { 1 })[1] do t["k" .. i .. (i % 2 == 0 and "é" or "")] = random_value(rng, d - 1) end
      return t
    end
  end

  it("decode(encode(v)) equals v for 300 random documents, compact and indented", function()
    local rng = gd.Generator(8259)
    for i = 1, 300 do
      local v = random_value(rng, 5)
      local s = J.encode(v, { sort_keys = true })
      assert_same(v, J.decode(s), "document " .. i .. ": " .. s)
      assert.equal(s, J.encode(J.decode(J.encode(v, { indent = 3 })), { sort_keys = true }))
    end
  end)

  it("handles big inputs: 200000 numbers, a 1 MB escaped string, an error at byte 1000001", function()
    local t = A {}
    for i = 1, 200000 do t[i] = i % 3 == 0 and i or i + 0.25 end
    local s = J.encode(t)
    local back = J.decode(s)
    assert.equal(200000, #back)
    assert.equal(199999.25, back[199999])
    assert.equal(199998, back[199998])
    local big = string.rep('a"\n\xC3\xA9', 200000)
    local e = J.encode(big)
    assert.equal(#big + 2 * 200000 + 2, #e)
    assert.equal(big, J.decode(e))
    local err = u.errors(function() J.decode("[" .. string.rep("1,", 500000) .. "x]") end, "unexpected 'x'")
    assert.matches("at byte 1000002$", err)
  end)
end)
