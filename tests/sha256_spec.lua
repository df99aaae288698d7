-- sha256_spec.lua: gd.sha256, gd.hmac_sha256 and gd.digest_equal (src/sha256.c)
-- against published vectors: FIPS 180-4's examples (and the NIST CAVS
-- long messages), RFC 4231's HMAC-SHA256 test cases 1-7, and digests of
-- messages around the 55/56/64-byte padding boundaries from Python's
-- hashlib (an independent implementation).
local u = require "tests.helpers.util"
local gd = require "gd"

--- Bytes from a hex string.
local function unhex(h)
  return (h:gsub("%x%x", function(b) return string.char(tonumber(b, 16)) end))
end

--- n bytes (i*7+3) % 256 for i = 0..n-1, the pattern hashed with hashlib.
local function pattern(n)
  local t = {}
  for i = 0, n - 1 do t[#t + 1] = string.char((i * 7 + 3) % 256) end
  return table.concat(t)
end

describe("gd.sha256", function()
  it("matches the FIPS 180-4 examples", function()
    assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", gd.sha256("abc"))
    assert.equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
      gd.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
    assert.equal("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
      gd.sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))
  end)

  it("of the empty string and of one million 'a'", function()
    assert.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", gd.sha256(""))
    assert.equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
      gd.sha256(string.rep("a", 1000000)))
  end)

  it("pads correctly around the block boundaries (hashlib's digests)", function()
    local want = {
      [55] = "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b",
      [56] = "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27",
      [63] = "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055",
      [64] = "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241",
      [65] = "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e",
      [119] = "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e",
      [120] = "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5",
      [128] = "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6",
    }
    for n, h in pairs(want) do assert.equal(h, gd.sha256(pattern(n)), "length " .. n) end
  end)

  it("hashes embedded zero bytes", function()
    assert.equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", gd.sha256("\0"))
    assert.are_not.equal(gd.sha256("a\0b"), gd.sha256("a\0c"))
  end)

  it("checks its argument", function()
    u.errors(function() gd.sha256(1) end, "gd.sha256: argument 1: string expected, got number")
    u.errors(function() gd.sha256() end, "gd.sha256: argument 1: string expected, got no value")
  end)
end)

describe("gd.hmac_sha256", function()
  -- RFC 4231 section 4: key, data, HMAC-SHA-256
  local aa131 = string.rep("\xaa", 131)
  local cases = {
    { string.rep("\x0b", 20), "Hi There",
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
    { "Jefe", "what do ya want for nothing?",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
    { string.rep("\xaa", 20), string.rep("\xdd", 50),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
    { unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), string.rep("\xcd", 50),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
    { string.rep("\x0c", 20), "Test With Truncation",
      "a3b6167473100ee06e0c796c2955552b" },   -- the RFC gives the first 128 bits
    { aa131, "Test Using Larger Than Block-Size Key - Hash Key First",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
    { aa131, "This is a test using a larger than block-size key and a larger than block-size data. "
      .. "The key needs to be hashed before being used by the HMAC algorithm.",
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
  }
  for i, c in ipairs(cases) do
    it("matches RFC 4231 test case " .. i, function()
      local h = gd.hmac_sha256(c[1], c[2])
      assert.equal(64, #h)
      assert.equal(c[3], h:sub(1, #c[3]))
    end)
  end

  it("signs the concatenation of its parts, however they are split", function()
    local key, msg = "a-jupyter-key", '{"msg_id":"1"}{}{}{"code":"1+1"}'
    local whole = gd.hmac_sha256(key, msg)
    assert.equal(whole, gd.hmac_sha256(key, msg:sub(1, 14), msg:sub(15, 16), msg:sub(17, 18), msg:sub(19)))
    assert.equal(whole, gd.hmac_sha256(key, "", msg, ""))
    for cut = 0, #msg do assert.equal(whole, gd.hmac_sha256(key, msg:sub(1, cut), msg:sub(cut + 1))) end
    assert.are_not.equal(whole, gd.hmac_sha256(key .. "x", msg))
  end)

  it("with no message parts is the HMAC of the empty message (hashlib's value)", function()
    assert.equal("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad", gd.hmac_sha256(""))
    assert.equal(gd.hmac_sha256("k"), gd.hmac_sha256("k", ""))
  end)

  it("checks every argument", function()
    u.errors(function() gd.hmac_sha256(nil, "x") end, "gd.hmac_sha256: argument 1: string expected, got nil")
    u.errors(function() gd.hmac_sha256("k", "x", 3) end, "gd.hmac_sha256: argument 3: string expected, got number")
    u.errors(function() gd.hmac_sha256("k", {}) end, "argument 2: string expected, got table")
  end)
end)

describe("gd.digest_equal", function()
  it("compares equal and unequal digests", function()
    local a = gd.hmac_sha256("k", "m")
    assert.is_true(gd.digest_equal(a, a:upper():lower()))
    assert.is_false(gd.digest_equal(a, a:sub(1, 63) .. (a:sub(64) == "0" and "1" or "0")))
    assert.is_false(gd.digest_equal(a, "x" .. a:sub(2)))
    assert.is_false(gd.digest_equal(a, a:sub(1, 63)))
    assert.is_true(gd.digest_equal("", ""))
    u.errors(function() gd.digest_equal(a) end, "gd.digest_equal: argument 2: string expected, got no value")
  end)
end)
