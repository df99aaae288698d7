-- json_msg: gd.json.encode then gd.json.decode of a Jupyter-like message whose
-- content holds 1e5 floats (i·φ mod 1 − 0.5, the same numbers in json_msg.py)
-- and a 1e5-character text; sorted keys, compact.  The checksum is the
-- length of the encoded text, which equals Python's (same number format).
local N, REPS = 100000, 5
local data = gd.json.array {}
for i = 0, N - 1 do data[i + 1] = (i * 0.6180339887498949) % 1 - 0.5 end
local lines = {}
for i = 1, 5000 do lines[i] = "line " .. i .. "\t\"é\"" end
local msg = {
  header = { msg_id = "a1b2c3", msg_type = "execute_result", session = "s", username = "u",
             date = "2026-12-02T03:00:00.000000Z", version = "5.3" },
  parent_header = {}, metadata = {},
  content = { execution_count = 7, data = { ["application/json"] = data,
              ["text/plain"] = table.concat(lines, "\n") } },
}
local s
for _ = 1, REPS do
  local t0 = os.clock()
  s = gd.json.encode(msg, { sort_keys = true })
  local back = gd.json.decode(s)
  print(("time %.9f"):format(os.clock() - t0))
  assert(#back.content.data["application/json"] == N)
end
print(("value %d"):format(#s))
print(("info %d bytes of JSON"):format(#s))
