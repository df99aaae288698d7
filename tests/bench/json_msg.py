# json_msg: Python's json (its C accelerator) on the same message as json_msg.lua:
# json.dumps(sort_keys, compact separators) then json.loads.
import json
from benchclock import clock, report

N, REPS = 100000, 5
data = [(i * 0.6180339887498949) % 1 - 0.5 for i in range(N)]
text = "\n".join('line %d\t"\u00e9"' % i for i in range(1, 5001))
msg = {
    "header": {"msg_id": "a1b2c3", "msg_type": "execute_result", "session": "s", "username": "u",
               "date": "2026-12-02T03:00:00.000000Z", "version": "5.3"},
    "parent_header": {}, "metadata": {},
    "content": {"execution_count": 7, "data": {"application/json": data, "text/plain": text}},
}
s = ""
for _ in range(REPS):
    t0 = clock()
    s = json.dumps(msg, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    back = json.loads(s)
    report(clock() - t0)
    assert len(back["content"]["data"]["application/json"]) == N
print("value %d" % len(s.encode("utf-8")))
