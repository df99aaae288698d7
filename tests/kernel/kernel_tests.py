"""tests/kernel/kernel_tests.py: the gdlua Jupyter kernel under real clients.

Run by tests/kernel_spec.lua (which installs the kernelspec into a private
JUPYTER_DATA_DIR and reads our result lines), or by hand:

    GDLUA=./gdlua /usr/bin/python3 tests/kernel/kernel_tests.py [pattern]

* GdluaConformance: jupyter_kernel_test's protocol suite (message schemas
  of every reply and output) with gdlua's samples.
* GdluaKernel: what the suite does not cover: interrupt, bad messages,
  stdin, session locals, streaming while a cell runs, figures inline.
* GdluaNotebooks: nbconvert --execute of scripts/notebooks/*.ipynb, and an
  HTML export screenshotted by headless Chromium.

Each test (and subtest) prints one line "RESULT<TAB>ok|fail<TAB>name<TAB>why".
"""
import base64
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
import zlib

import jupyter_kernel_test as jkt
import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT = 20


def run_cell(kc, code, timeout=TIMEOUT, **kw):
    """Execute code; return (reply, the iopub messages of it)."""
    out = []
    reply = kc.execute_interactive(code, output_hook=out.append, timeout=timeout, **kw)
    return reply, out


def stdout_of(msgs):
    return "".join(m["content"]["text"] for m in msgs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


class GdluaConformance(jkt.KernelTests):
    kernel_name = "gdlua"
    language_name = "lua"
    file_extension = ".lua"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'io.stderr:write("to stderr\\n")'
    # names defined by setUpClass's cell: a tensor, a model, an optimizer, a figure, a layer
    completion_samples = [
        {"text": "gd.linsp", "matches": {"gd.linspace"}},
        {"text": "string.upp", "matches": {"string.upper"}},
        {"text": "tt:resh", "matches": {"tt:reshape"}},
        {"text": "gd.nn.Seq", "matches": {"gd.nn.Sequential"}},
        {"text": "net:co", "matches": {"net:compile", "net:count_params"}},
        {"text": "opt:apply", "matches": {"opt:apply_gradients"}},
        {"text": "fig:sa", "matches": {"fig:save"}},
        {"text": "layer.na", "matches": {"layer.name"}},
    ]
    complete_code_samples = ["x = 1", "print(1)", "for i = 1, 2 do end", "local t = {1, 2}", "1 + 2"]
    incomplete_code_samples = ["for i = 1, 2 do", "function f(x)", "t = {1,", "if x then", "x ="]
    invalid_code_samples = ["end", "x = = 1", "for for", "1 +* 2", "return return"]
    code_page_something = "help(gd.zeros)"
    code_generate_error = 'error("boom")'
    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "2^10", "result": "1024.0"},
        {"code": '"a" .. "b"', "result": "ab"},
        {"code": "gd.tensor{1, 2}", "mime": "text/html"},
    ]
    code_display_data = [
        {"code": "gd.plot.plot({1, 2, 3}, {1, 4, 9}); gd.plot.show()", "mime": "image/png"},
        {"code": 'gd.display(gd.html("<b>bold</b>"))', "mime": "text/html"},
        {"code": 'gd.display(gd.markdown("*md*"))', "mime": "text/markdown"},
    ]
    code_history_pattern = "1 + *"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "gd.zeros"
    code_clear_output = 'print("gone"); gd.clear_output()'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        reply, _ = run_cell(cls.kc, "tt = gd.zeros(2, 3); net = gd.nn.Sequential{gd.nn.Dense(1, {input_dim = 2})}\n"
                                    "opt = gd.optim.Adam(0.1); fig = gd.plot.figure(); layer = gd.nn.Dense(3)")
        assert reply["content"]["status"] == "ok", reply

    # beyond the suite's checks: the values of the replies
    def test_completion_cursor(self):
        code = "y = gd.lins + 1"
        pos = len("y = gd.lins")
        self.kc.complete(code, pos)
        r = self.get_non_kernel_info_reply(timeout=TIMEOUT)["content"]
        self.assertEqual(r["matches"], ["gd.linspace"])
        self.assertEqual((r["cursor_start"], r["cursor_end"]), (4, pos))
        code = "é = 1; gd.zer"                     # positions count code points, not bytes
        self.kc.complete(code, len(code))
        r = self.get_non_kernel_info_reply(timeout=TIMEOUT)["content"]
        self.assertEqual(r["matches"], ["gd.zeros", "gd.zeros_like"])
        self.assertEqual((r["cursor_start"], r["cursor_end"]), (len("é = 1; "), len(code)))

    def test_inspect_text(self):
        self.kc.inspect("x = gd.linspace(0, 1, 5)", len("x = gd.lin"))
        r = self.get_non_kernel_info_reply(timeout=TIMEOUT)["content"]
        self.assertTrue(r["found"])
        text = r["data"]["text/plain"]              # help(gd.linspace)'s line
        self.assertTrue(text.startswith("gd.linspace(a, b") and "evenly spaced" in text, text)

    def test_is_complete_indent(self):
        self.kc.is_complete("for i = 1, 3 do")
        r = self.get_non_kernel_info_reply(timeout=TIMEOUT)["content"]
        self.assertEqual(r, {"status": "incomplete", "indent": "  "})

    def test_kernel_info_values(self):
        self.kc.kernel_info()
        r = self.kc.get_shell_msg(timeout=TIMEOUT)["content"]
        li = r["language_info"]
        self.assertEqual((li["name"], li["version"], li["mimetype"]), ("lua", "5.4", "text/x-lua"))
        self.assertEqual(r["protocol_version"], "5.3")
        self.assertTrue(any("README" in h["text"] for h in r["help_links"]))

    def test_error_content(self):
        reply, msgs = run_cell(self.kc, 'local function f() error("deep") end\nf()')
        c = reply["content"]
        self.assertEqual(c["status"], "error")
        self.assertEqual(c["evalue"].split(": ", 1)[1], "deep")
        self.assertTrue(any("in main chunk" in line for line in c["traceback"]))
        self.assertFalse(any("gd.kernel" in line for line in c["traceback"]))   # the kernel's own frames are cut

    def test_silent_and_store_history(self):
        reply, _ = run_cell(self.kc, "1 + 1")
        n = reply["content"]["execution_count"]
        reply, msgs = run_cell(self.kc, "print(7)", silent=True)
        self.assertEqual(stdout_of(msgs), "")
        self.assertEqual(reply["content"]["execution_count"], n)
        reply, _ = run_cell(self.kc, "1 + 1", store_history=False)
        self.assertEqual(reply["content"]["execution_count"], n)
        reply, _ = run_cell(self.kc, "1 + 1")
        self.assertEqual(reply["content"]["execution_count"], n + 1)

    def test_tensor_html_values(self):
        reply, msgs = run_cell(self.kc, "gd.tensor{{1, 2.5}, {-3, 4}}")
        res = [m for m in msgs if m["msg_type"] == "execute_result"][0]["content"]["data"]
        html = res["text/html"]
        cells = [c.split("</td>")[0] for c in html.split("<td>")[1:]]
        self.assertEqual(cells, ["1", "2.5", "-3", "4"])
        self.assertTrue(res["text/plain"].startswith("tensor("))
        reply, msgs = run_cell(self.kc, "gd.zeros(1001)")      # past the print threshold: text only
        res = [m for m in msgs if m["msg_type"] == "execute_result"][0]["content"]["data"]
        self.assertNotIn("text/html", res)


class GdluaKernel(unittest.TestCase):
    """One kernel, its stderr in a file, probed beyond the protocol suite."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="gdlua_kernel_")
        cls.stderr_path = os.path.join(cls.dir, "stderr.txt")
        cls.stderr = open(cls.stderr_path, "w")
        cls.km, cls.kc = start_new_kernel(kernel_name="gdlua", stderr=cls.stderr, cwd=cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel()
        cls.stderr.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def alive(self):
        reply, msgs = run_cell(self.kc, "print(6 * 7)")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(stdout_of(msgs), "42\n")

    def log(self, want):
        """The kernel's stderr once it says want (the raw message may be read after alive()'s)."""
        for _ in range(50):
            with open(self.stderr_path) as f:
                text = f.read()
            if want in text:
                break
            time.sleep(0.1)
        return text

    def raw_shell(self):
        """A DEALER socket on the kernel's shell port, and the session's signer."""
        ctx = zmq.Context.instance()
        s = ctx.socket(zmq.DEALER)
        s.linger = 2000                               # close() waits for the message to go
        ci = self.km.get_connection_info()
        s.connect("%s://%s:%d" % (ci["transport"], ci["ip"], ci["shell_port"]))
        return s, Session(key=self.km.session.key, signature_scheme="hmac-sha256")

    def send_raw(self, parts, sign=True, signature=None):
        s, sess = self.raw_shell()
        sig = signature if signature is not None else (sess.sign(parts) if sign else b"")
        s.send_multipart([b"<IDS|MSG>", sig] + parts)
        return s

    def header(self, msg_type):
        return json.dumps({"msg_id": uuid.uuid4().hex, "session": "raw", "username": "t",
                           "date": "2026-01-01T00:00:00Z", "msg_type": msg_type, "version": "5.3"}).encode()

    def test_interrupt_lua_loop(self):
        self.kc.execute("while true do end")
        time.sleep(0.3)
        self.km.interrupt_kernel()
        reply = self.kc.get_shell_msg(timeout=1.0)           # interrupted within 1 s, or Empty
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.alive()

    def test_interrupt_fit_loop(self):
        code = ("local x = gd.randn(64, 2); local y = x:sum(2, true)\n"
                "local m = gd.nn.Sequential{gd.nn.Dense(1, {input_dim = 2})}\n"
                "m:compile{optimizer = gd.optim.SGD(0.01), loss = 'mse'}\n"
                "m:fit(x, y, {epochs = 100000000, batch_size = 8, verbose = 0})")
        self.kc.execute(code)
        time.sleep(0.5)
        self.km.interrupt_kernel()
        reply = self.kc.get_shell_msg(timeout=2.0)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.alive()

    def test_interrupt_matmul(self):
        # one long product (2.7e10 multiply-adds) stops between two slabs of rows,
        # by gd.matmul's own check, not at the next Lua instruction after it
        reply, _ = run_cell(self.kc, "ma, mb = gd.randn(3000, 3000), gd.randn(3000, 3000)")
        self.assertEqual(reply["content"]["status"], "ok")
        self.kc.execute("mc = ma:matmul(mb)")
        time.sleep(0.3)
        self.km.interrupt_kernel()
        reply = self.kc.get_shell_msg(timeout=5.0)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.assertIn("gd.matmul: interrupted!", reply["content"]["evalue"])
        reply, msgs = run_cell(self.kc, "ma, mb = nil, nil; print(mc)")
        self.assertEqual(stdout_of(msgs), "nil\n")

    def test_idle_interrupt(self):
        self.km.interrupt_kernel()
        time.sleep(0.2)
        self.alive()

    def test_wrong_signature(self):
        s = self.send_raw([self.header("execute_request"), b"{}", b"{}",
                           json.dumps({"code": "print(1)"}).encode()], signature=b"0" * 64)
        self.alive()
        s.close()
        self.assertIn("wrong signature", self.log("wrong signature"))

    def test_malformed_json(self):
        s = self.send_raw([b"{not json", b"{}", b"{}", b"{}"])
        s2 = self.send_raw([self.header("kernel_info_request"), b"{}", b"{}", b"[1, 2"])
        self.assertTrue(s2.poll(5000))                        # a content that is not JSON: an error reply
        frames = s2.recv_multipart()
        content = json.loads(frames[-1])
        self.assertEqual(content["status"], "error")
        self.alive()
        s.close(), s2.close()
        self.assertIn("its header is not a JSON object", self.log("its header is not a JSON object"))
        self.assertIn("the content is not a JSON object", self.log("the content is not a JSON object"))

    def test_unknown_msg_type(self):
        s = self.send_raw([self.header("frobnicate_request"), b"{}", b"{}", b"{}"])
        self.alive()
        s.close()
        self.assertIn("unknown type frobnicate_request", self.log("frobnicate_request"))

    def test_not_wire_format(self):
        s, _ = self.raw_shell()
        s.send_multipart([b"no delimiter here"])
        s.send_multipart([b"<IDS|MSG>", b"sig"])
        self.alive()
        s.close()
        self.assertIn("without the <IDS|MSG> delimiter", self.log("delimiter"))
        self.assertIn("parts after the delimiter", self.log("parts after"))

    def test_huge_message(self):
        code = "-- " + "x" * (32 << 20) + "\nreturn 5"       # a 32 MiB cell
        reply, msgs = run_cell(self.kc, code, timeout=60)
        self.assertEqual(reply["content"]["status"], "ok")
        res = [m for m in msgs if m["msg_type"] == "execute_result"]
        self.assertEqual(res[0]["content"]["data"]["text/plain"], "5")
        self.alive()

    def test_stop_on_error(self):
        # three cells sent at once, as "run all" does: the one after the error is not run
        first = 'local t = os.clock() + 0.2 while os.clock() < t do end error("first")'   # the others arrive meanwhile
        ids = [self.kc.execute(first), self.kc.execute("print(1)"),
               self.kc.execute("print(2)", stop_on_error=False)]
        replies = {}
        while len(replies) < 3:
            r = self.kc.get_shell_msg(timeout=TIMEOUT)
            replies[r["parent_header"]["msg_id"]] = r["content"]["status"]
        self.assertEqual([replies[i] for i in ids], ["error", "aborted", "aborted"])
        ids = [self.kc.execute('error("again")', stop_on_error=False), self.kc.execute("print(3)")]
        replies = {}
        while len(replies) < 2:
            r = self.kc.get_shell_msg(timeout=TIMEOUT)
            replies[r["parent_header"]["msg_id"]] = r["content"]["status"]
        self.assertEqual([replies[i] for i in ids], ["error", "ok"])

    def test_session_locals(self):
        run_cell(self.kc, "local a, b = 20, 22")
        reply, msgs = run_cell(self.kc, "print(a + b)")
        self.assertEqual(stdout_of(msgs), "42\n")

    def test_stdin_and_streaming(self):
        seen, early, out = {}, [], []
        def on_input(msg):
            # "before" was printed ahead of io.read: it must be here already, through
            # the output hook or still waiting on iopub (drained into early)
            seen["before"] = "before" in stdout_of(out)
            while not seen["before"]:
                try:
                    m = self.kc.get_iopub_msg(timeout=2)
                except Exception:
                    break
                early.append(m)
                seen["before"] = "before" in stdout_of(early)
            seen["prompt"] = msg["content"]["prompt"]
            self.kc.input("hello")
        reply = self.kc.execute_interactive('print("before"); local s = io.read(); print(#s, s:upper())',
                                            allow_stdin=True, stdin_hook=on_input,
                                            output_hook=out.append, timeout=TIMEOUT)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertTrue(seen["before"])
        self.assertEqual(seen["prompt"], "")
        self.assertEqual(sorted((stdout_of(early) + stdout_of(out)).splitlines()), ["5\tHELLO", "before"])
        reply, _ = run_cell(self.kc, "io.read()", allow_stdin=False)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("allow_stdin", reply["content"]["evalue"])

    def test_carriage_return_kept(self):
        reply, msgs = run_cell(self.kc, 'for i = 1, 3 do io.write("\\r", i) end io.write("\\n")')
        self.assertEqual(stdout_of(msgs), "\r1\r2\r3\n")

    def test_fit_progress_bar(self):
        code = ("local x = gd.randn(32, 2); local y = x:sum(2, true)\n"
                "local m = gd.nn.Sequential{gd.nn.Dense(1, {input_dim = 2})}\n"
                "m:compile{optimizer = gd.optim.SGD(0.01), loss = 'mse'}\n"
                "m:fit(x, y, {epochs = 2, batch_size = 8, verbose = 1})")
        reply, msgs = run_cell(self.kc, code)
        self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
        text = stdout_of(msgs)
        self.assertIn("\rEpoch 1/2 [", text)
        self.assertEqual(text.count("\n"), 2)                  # one line per epoch, redrawn with \r

    def test_figures_inline_no_files(self):
        reply, msgs = run_cell(self.kc, "gd.plot.plot(gd.linspace(0, 1, 20), gd.linspace(0, 1, 20):square())\n"
                                        "gd.plot.show()")
        imgs = [m for m in msgs if m["msg_type"] == "display_data"]
        self.assertEqual(len(imgs), 1)
        png = base64.b64decode(imgs[0]["content"]["data"]["image/png"])
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        w, h = struct.unpack(">II", png[16:24])
        self.assertEqual((w, h), (640, 480))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "plots")))

    def test_animation_inline(self):
        code = ("gd.plot.animate(function(fig, k) fig:subplot(1):plot({1, 2, 3}, {k, k + 1, k + 2}) end, 3)")
        reply, msgs = run_cell(self.kc, code)
        self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
        imgs = [m for m in msgs if m["msg_type"] == "display_data"]
        gif = base64.b64decode(imgs[0]["content"]["data"]["image/gif"])
        self.assertEqual(gif[:6], b"GIF89a")
        self.assertEqual(gif.count(b"\x21\xf9\x04"), 3)         # a graphic control block per frame
        self.assertFalse(os.path.exists(os.path.join(self.dir, "plots")))

    def test_display_values(self):
        reply, msgs = run_cell(self.kc, 'gd.display(gd.latex("x^2"), {1, 2}, gd.tensor{3})')
        data = [m["content"]["data"] for m in msgs if m["msg_type"] == "display_data"]
        self.assertEqual(data[0]["text/latex"], "$$x^2$$")
        self.assertEqual(data[1]["text/plain"], "{1, 2}")
        self.assertIn("<td>3</td>", data[2]["text/html"])

    def test_shutdown_restart(self):
        km, kc = start_new_kernel(kernel_name="gdlua", cwd=self.dir)
        try:
            run_cell(kc, "z = 5")
            km.restart_kernel(now=False)
            kc.wait_for_ready(timeout=TIMEOUT)
            reply, msgs = run_cell(kc, "print(z)")
            self.assertEqual(stdout_of(msgs), "nil\n")           # a fresh session
            pid = km.provisioner.process.pid
            kc.shutdown()                                        # on the control channel
            self.assertEqual(kc.get_control_msg(timeout=TIMEOUT)["content"]["status"], "ok")
            km.provisioner.process.wait(timeout=10)              # the kernel ends by itself
            self.assertIsNotNone(km.provisioner.process.poll())
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


class GdluaSvg(unittest.TestCase):
    def test_svg_figures(self):
        os.environ["GD_PLOT"] = "svg"
        try:
            km, kc = start_new_kernel(kernel_name="gdlua")
        finally:
            del os.environ["GD_PLOT"]
        try:
            reply, msgs = run_cell(kc, "gd.plot.plot({1, 2}, {3, 4}); gd.plot.show()")
            svg = [m for m in msgs if m["msg_type"] == "display_data"][0]["content"]["data"]["image/svg+xml"]
            self.assertIn("<svg", svg)
        finally:
            kc.stop_channels()
            km.shutdown_kernel()


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit non-interlaced PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and ctype in (2, 6)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


class GdluaNotebooks(unittest.TestCase):
    """scripts/notebooks run top to bottom under nbconvert; one is exported and screenshotted."""

    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="gdlua_nb_")

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("GDLUA_KEEP_NOTEBOOKS"):
            shutil.rmtree(cls.out, ignore_errors=True)

    def execute(self, name):
        src = os.path.join(ROOT, "scripts", "notebooks", name)
        r = subprocess.run(["jupyter", "nbconvert", "--to", "notebook", "--execute",
                            "--ExecutePreprocessor.timeout=120", "--output-dir", self.out, src],
                           capture_output=True, text=True, cwd=self.out)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        nb = json.load(open(os.path.join(self.out, name)))
        mimes = [m for c in nb["cells"] if c["cell_type"] == "code"
                 for o in c.get("outputs", []) for m in o.get("data", {})]
        errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        self.assertEqual(errors, [])
        for d in (self.out, os.path.dirname(src)):                # the kernel runs in the notebook's folder
            self.assertFalse(os.path.exists(os.path.join(d, "plots")))
        return nb, mimes

    def test_optimizers(self):
        nb, mimes = self.execute("optimizers.ipynb")
        self.assertGreaterEqual(mimes.count("image/png"), 2)
        self.assertGreaterEqual(mimes.count("image/gif"), 1)

    def test_bias_variance(self):
        nb, mimes = self.execute("bias_variance.ipynb")
        self.assertGreaterEqual(mimes.count("image/png"), 1)

    def test_mle(self):
        nb, mimes = self.execute("mle.ipynb")
        self.assertGreaterEqual(mimes.count("image/png"), 1)

    def test_zz_html_screenshot(self):
        path = os.path.join(self.out, "mle.ipynb")
        if not os.path.exists(path):
            self.execute("mle.ipynb")
        r = subprocess.run(["jupyter", "nbconvert", "--to", "html", "--output-dir", self.out, path],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        html = os.path.join(self.out, "mle.html")
        shot = os.path.join(os.environ.get("GDLUA_SCREENSHOT_DIR", self.out), "mle_screenshot.png")
        profile = tempfile.mkdtemp(prefix="gdlua_chromium_")
        try:
            r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                "--user-data-dir=" + profile, "--window-size=1000,1400",
                                "--screenshot=" + shot, "file://" + html],
                               capture_output=True, text=True, timeout=120)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        self.assertTrue(os.path.exists(shot), r.stderr[-2000:])
        w, h, bpp, rows = png_pixels(shot)
        self.assertEqual((w, h), (1000, 1400))
        colors, dark = set(), 0
        for row in rows[::4]:
            for x in range(0, w * bpp, 4 * bpp):
                px = row[x:x + 3]
                colors.add(px)
                if sum(px) < 3 * 128:
                    dark += 1
        self.assertGreater(len(colors), 20)          # text, a plot's lines and colors: not one flat page
        self.assertGreater(dark, 100)                # dark pixels: text was drawn


class LineResult(unittest.TestResult):
    """One line per test and subtest, for tests/kernel_spec.lua."""

    def line(self, status, test, why=""):
        why = why.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", " ")
        sys.stdout.write("RESULT\t%s\t%s\t%s\n" % (status, test.id().split(".", 1)[-1], why))
        sys.stdout.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.line("ok", test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.line("fail", test, self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self.line("fail", test, self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.line("skip", test, reason)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is None:
            self.line("ok", subtest)
        elif issubclass(err[0], unittest.SkipTest):
            self.line("skip", subtest, str(err[1]))
        else:
            self.line("fail", subtest, self._exc_info_to_string(err, subtest))


def main():
    args = sys.argv[1:]
    listing = args[:1] == ["--list"]
    if listing:
        args = args[1:]
    loader = unittest.TestLoader()
    if args:
        loader.testNamePatterns = ["*" + args[0] + "*"]
    suite = unittest.TestSuite()
    for cls in (GdluaConformance, GdluaKernel, GdluaSvg, GdluaNotebooks):
        suite.addTests(loader.loadTestsFromTestCase(cls))
    if listing:                                   # the cases, without running them
        for t in suite:
            sys.stdout.write("CASE\t%s\n" % t.id().split(".", 1)[-1])
        return 0
    result = LineResult()
    suite.run(result)
    sys.stdout.write("DONE\t%d\n" % result.testsRun)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
