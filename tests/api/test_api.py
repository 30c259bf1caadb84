"""The local API through real clients: the official MCP Python SDK over
`crumb mcp` (stdio) and `crumb serve` (streamable HTTP), the `openai` package
for embeddings, plain HTTP in Cohere's rerank shape, and the security
refusals. Real models (MiniLM, a DeBERTa-v2 cross-encoder), a real index on
disk, real HTTP on 127.0.0.1.

Run: `make api-test` (after `make setup`), or
`.cache/py-api/bin/python tests/api/test_api.py --crumb target/debug/crumb`.
"""

import argparse
import asyncio
import http.client
import json
import os
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CRUMB = None  # set in main()
MINILM = Path(os.environ.get("CRUMB_MINILM_DIR", REPO / ".cache/models/minilm"))
SHARED_MODELS = Path(os.environ.get("CRUMB_SHARED_MODELS", REPO.parent / "shared/models"))
RERANKER = SHARED_MODELS / "tiny-deberta-v3-rerank"
TOKEN = "test-token-" + os.urandom(8).hex()
# Text that lives only in a file outside every indexed folder: no answer may
# ever hold it.
CANARY = "CANARY-do-not-serve-7f3a9c"

FIXTURES = {
    "garden/tomatoes.md": "# Growing tomatoes\n\nTomato plants need staking and deep watering twice a week.\n"
    "Pinch the side shoots so the plant puts its energy into fruit.\n",
    "finance/tax-2023.md": "# Tax return 2023\n\nThe deadline for filing the income tax return is the end of July.\n"
    "Keep receipts for deductible expenses such as the home office.\n",
    "travel/lisbon.md": "# Lisbon trip\n\nTram 28 climbs through Alfama. Pastel de nata at Belem.\n"
    "The flight leaves at nine and the hotel is near the river.\n",
}


def missing(msg):
    """A missing prerequisite fails, unless CRUMB_ALLOW_SKIP=1 (never in CI)."""
    if os.environ.get("CRUMB_ALLOW_SKIP") == "1":
        raise unittest.SkipTest(msg)
    raise AssertionError(f"missing prerequisite: {msg} (run `make setup`)")


def run(*args, **kw):
    out = subprocess.run([str(CRUMB), *map(str, args)], capture_output=True, text=True, cwd=REPO, **kw)
    if out.returncode != 0:
        raise AssertionError(f"crumb {' '.join(map(str, args))} failed: {out.stderr}")
    return out.stdout


class Server:
    """A `crumb serve` process on a free port."""

    def __init__(self, data, config, *model_args):
        env = dict(os.environ, CRUMB_API_TOKEN=TOKEN, CRUMB_CONFIG_DIR=str(config))
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [str(CRUMB), "serve", "--port", "0", "--data-dir", str(data), *map(str, model_args)],
            stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=REPO, env=env)
        line = self.proc.stdout.readline()
        if "listening on http://127.0.0.1:" not in line:
            self.proc.kill()
            self.log.seek(0)
            raise AssertionError(f"crumb serve did not start: {line!r} {self.log.read().decode()}")
        self.port = int(line.rsplit(":", 1)[1])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.proc.stdout.close()
        self.log.close()

    def request(self, method, path, body=None, headers=None, token=TOKEN, host=None, raw=None):
        """One HTTP request; returns (status, parsed JSON or raw text)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = {"Content-Type": "application/json"}
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        c.putrequest(method, path, skip_host=True)
        c.putheader("Host", host or f"127.0.0.1:{self.port}")
        for k, v in h.items():
            c.putheader(k, v)
        if data is not None:
            c.putheader("Content-Length", str(len(data)))
        c.endheaders()
        if data is not None:
            c.send(data)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        c.close()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text


    def refused_midway(self, path, headers, parts):
        """POSTs a body the server may refuse part-way, reading the answer while still
        sending: the server answers 413 and closes as soon as the limit is passed, so a
        client that reads only after sending everything sees a broken pipe, not the answer
        (CI saw exactly that). Returns (status, parsed JSON)."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        head = {"Host": f"127.0.0.1:{self.port}", "Authorization": f"Bearer {TOKEN}",
                "Content-Type": "application/json", "Connection": "close", **headers}
        received = bytearray()

        def read_all():
            try:
                while chunk := sock.recv(65536):
                    received.extend(chunk)
            except OSError:
                pass

        reader = threading.Thread(target=read_all)
        reader.start()
        try:
            sock.sendall(f"POST {path} HTTP/1.1\r\n".encode()
                         + "".join(f"{k}: {v}\r\n" for k, v in head.items()).encode() + b"\r\n")
            for part in parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reader.join(60)
        sock.close()
        head_bytes, _, payload = bytes(received).partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 "):
            raise AssertionError(f"no HTTP answer, got {bytes(received)[:200]!r}")
        fields = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        if fields.get("transfer-encoding") == "chunked":
            body, rest = bytearray(), payload
            while rest:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line, 16)
                if size == 0:
                    break
                body.extend(rest[:size])
                rest = rest[size + 2:]
            payload = bytes(body)
        return int(lines[0].split()[1]), json.loads(payload)


def setUpModule():
    global TMP, DATA, OTHER, CONFIG, SERVER, OTHER_SERVER
    if not MINILM.exists():
        missing(f"{MINILM} (scripts/setup-models.sh builds it)")
    if not RERANKER.exists():
        missing(f"{RERANKER} (../shared/models beside the checkout)")
    TMP = Path(tempfile.mkdtemp(prefix="crumb-api-"))
    docs = TMP / "docs"
    for rel, text in FIXTURES.items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text)
    (TMP / "secret.txt").write_text(f"{CANARY}: outside every indexed folder\n")
    DATA, OTHER, CONFIG = TMP / "data", TMP / "other", TMP / "config"
    run("index", docs, "--data-dir", DATA, "--embedder", MINILM)
    # A second index, whose ids must not open anything in the first.
    other_docs = TMP / "other-docs"
    other_docs.mkdir()
    (other_docs / "note.md").write_text(f"Tomato staking note. {CANARY}\n")
    run("index", other_docs, "--data-dir", OTHER, "--embedder", "none")
    SERVER = Server(DATA, CONFIG, "--embedder", MINILM, "--reranker", RERANKER)
    OTHER_SERVER = Server(OTHER, CONFIG, "--embedder", "none", "--reranker", "none")


def tearDownModule():
    for s in ("SERVER", "OTHER_SERVER"):
        if s in globals():
            globals()[s].stop()
    if "TMP" in globals():
        shutil.rmtree(TMP, ignore_errors=True)


def assert_no_leak(case, payload):
    case.assertNotIn(CANARY, json.dumps(payload) if not isinstance(payload, str) else payload)


class McpClients(unittest.TestCase):
    """The official MCP SDK drives both transports the same way."""

    async def _drive(self, session):
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        self.assertEqual({"search", "get", "status"}, set(tools))
        self.assertIn("query", tools["search"].input_schema["properties"])
        # The reranker in the tests has random weights: rank by the fused
        # lists here (rerank on is covered by the HTTP search tests).
        found = await session.call_tool("search", {"query": "when is the tax return due", "limit": 3,
                                                   "rerank": False})
        self.assertFalse(found.is_error, found.content)
        hits = found.structured_content["hits"]
        self.assertTrue(hits[0]["path"].endswith("finance/tax-2023.md"), hits)
        self.assertIn("details", hits[0])
        got = await session.call_tool("get", {"id": hits[0]["id"]})
        self.assertFalse(got.is_error, got.content)
        self.assertIn("end of July", got.structured_content["text"])
        self.assertEqual(got.structured_content["path"], hits[0]["path"])
        status = await session.call_tool("status", {})
        self.assertEqual(status.structured_content["files_indexed"], 3)
        roles = {m["role"] for m in status.structured_content["models"]}
        self.assertEqual(roles, {"embedder", "reranker"})
        return hits

    def test_stdio_lists_tools_searches_and_gets_the_top_hit(self):
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client

        async def go():
            # An MCP client starts servers with a minimal environment; crumb
            # never searches the working directory for ONNX Runtime, so the
            # checkout's library is named explicitly, as a user's MCP config
            # would (an installed package finds its own).
            from mcp.client.stdio import get_default_environment
            env = get_default_environment()
            for var in ("ORT_DYLIB_PATH", "CRUMB_PDFIUM", "CRUMB_OCR_MODELS"):
                if var in os.environ:
                    env[var] = os.environ[var]
            params = StdioServerParameters(
                command=str(CRUMB), cwd=str(REPO), env=env,
                args=["mcp", "--data-dir", str(DATA), "--embedder", str(MINILM), "--reranker", str(RERANKER)])
            async with stdio_client(params) as (read, write):
                async with ClientSession(read, write) as session:
                    await self._drive(session)
        asyncio.run(go())

    def test_streamable_http_lists_tools_searches_and_gets_the_top_hit(self):
        from mcp import ClientSession
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        async def go():
            client = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
            async with client:
                url = f"http://127.0.0.1:{SERVER.port}/mcp"
                async with streamable_http_client(url, http_client=client) as (read, write):
                    async with ClientSession(read, write) as session:
                        await self._drive(session)
        asyncio.run(go())


class ModelEndpoints(unittest.TestCase):
    def test_rerank_in_cohere_shape_scores_as_crumb_rerank_does(self):
        query = "how often should tomatoes be watered"
        docs = [FIXTURES["travel/lisbon.md"], FIXTURES["garden/tomatoes.md"], FIXTURES["finance/tax-2023.md"]]
        status, body = SERVER.request("POST", "/v1/rerank", {
            "query": query, "documents": docs, "top_n": 2, "return_documents": True})
        self.assertEqual(status, 200, body)
        cli = json.loads(run("rerank", query, *docs, "--reranker", RERANKER, "--json"))
        want = sorted(cli, key=lambda r: -r["score"])[:2]
        self.assertEqual([r["index"] for r in body["results"]], [r["index"] for r in want])
        for got, ref in zip(body["results"], want):
            self.assertAlmostEqual(got["relevance_score"], ref["score"], places=6)
            self.assertEqual(got["document"]["text"], docs[got["index"]])
        # Documents as {"text": …} objects, as Cohere also takes them.
        status, objs = SERVER.request("POST", "/v1/rerank", {
            "query": query, "documents": [{"text": d} for d in docs]})
        self.assertEqual(status, 200, objs)
        self.assertEqual(len(objs["results"]), 3)
        self.assertNotIn("document", objs["results"][0])

    def test_embeddings_through_the_openai_client_equal_the_index_vectors(self):
        import openai
        status, health = SERVER.request("GET", "/health", token=None)
        self.assertEqual(status, 200)
        model = health["embedder"]
        db = sqlite3.connect(DATA / "catalog.sqlite")
        rows = db.execute(
            "SELECT p.text, v.data FROM passages p JOIN vectors v ON v.passage_id = p.id "
            "WHERE v.model = ? ORDER BY p.id", (model,)).fetchall()
        db.close()
        self.assertEqual(len(rows), 3, "one passage per fixture, each with a vector")
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{SERVER.port}/v1", api_key=TOKEN)
        # The client asks for base64 by default; floats are asked for too.
        for fmt in (openai.NOT_GIVEN, "float"):
            res = client.embeddings.create(model=model, input=[t for t, _ in rows], encoding_format=fmt)
            self.assertEqual(len(res.data), 3)
            for (text, blob), item in zip(rows, res.data):
                stored = struct.unpack(f"<{len(blob) // 4}f", blob)
                self.assertEqual(len(item.embedding), len(stored))
                worst = max(abs(a - b) for a, b in zip(item.embedding, stored))
                self.assertLess(worst, 1e-4, f"{text[:30]}: differs by {worst}")


class Refusals(unittest.TestCase):
    """Each refusal is a JSON error, and carries nothing from the index."""

    SEARCH = {"query": "tomato"}

    def refused(self, status, body, want_status, want_code):
        self.assertEqual(status, want_status, body)
        self.assertEqual(body["error"]["code"], want_code, body)
        self.assertNotIn("hits", body)
        text = json.dumps(body)
        self.assertNotIn("staking", text)
        assert_no_leak(self, body)

    def test_missing_or_wrong_token(self):
        self.refused(*SERVER.request("POST", "/v1/search", self.SEARCH, token=None), 401, "unauthorized")
        self.refused(*SERVER.request("POST", "/v1/search", self.SEARCH, token="wrong"), 401, "unauthorized")
        self.refused(*SERVER.request("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                     token=None), 401, "unauthorized")
        # Health needs none, and says nothing about the index.
        status, body = SERVER.request("GET", "/health", token=None)
        self.assertEqual((status, body["status"]), (200, "ok"))

    def test_foreign_origin(self):
        self.refused(*SERVER.request("POST", "/v1/search", self.SEARCH,
                                     headers={"Origin": "https://evil.example"}), 403, "forbidden_origin")
        self.refused(*SERVER.request("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                     headers={"Origin": "http://evil.example"}), 403, "forbidden_origin")

    def test_foreign_host_as_in_dns_rebinding(self):
        self.refused(*SERVER.request("POST", "/v1/search", self.SEARCH,
                                     host=f"evil.example:{SERVER.port}"), 403, "forbidden_host")
        self.refused(*SERVER.request("GET", "/health", token=None, host="evil.example"), 403, "forbidden_host")

    def test_oversized_body(self):
        big = json.dumps({"query": "tomato", "pad": "x" * (2 << 20)}).encode()
        status, body = SERVER.refused_midway("/v1/search", {"Content-Length": str(len(big))}, [big])
        self.refused(status, body, 413, "body_too_large")
        # Without a length (chunked), it is cut as it streams in.
        chunks = [b"%x\r\n%s\r\n" % (len(big[i:i + 65536]), big[i:i + 65536])
                  for i in range(0, len(big), 65536)] + [b"0\r\n\r\n"]
        status, body = SERVER.refused_midway("/v1/rerank", {"Transfer-Encoding": "chunked"}, chunks)
        self.refused(status, body, 413, "body_too_large")

    def test_malformed_json(self):
        self.refused(*SERVER.request("POST", "/v1/search", raw=b'{"query": "tomato",'), 400, "invalid_json")
        self.refused(*SERVER.request("POST", "/v1/rerank", raw=b"not json"), 400, "invalid_json")
        self.refused(*SERVER.request("POST", "/v1/search", {"query": "tomato", "path": "/etc/passwd"}),
                     422, "invalid_request")

    def test_an_id_from_another_index_is_refused(self):
        status, other = OTHER_SERVER.request("POST", "/v1/search", {"query": "tomato staking"})
        self.assertEqual(status, 200, other)
        foreign = other["hits"][0]["id"]
        self.assertIn(CANARY, other["hits"][0]["snippet"], "the other index holds the canary")
        result = asyncio.run(call_tool_http(SERVER.port, "get", {"id": foreign}))
        self.assertTrue(result.is_error)
        self.assertIn("another Crumb index", json.dumps(result.structured_content))
        assert_no_leak(self, result.structured_content)

    def test_path_traversal_attempts(self):
        status, mine = SERVER.request("POST", "/v1/search", {"query": "tomato"})
        tag = mine["hits"][0]["id"].split("-")[0]
        attempts = [
            "../secret.txt", str(TMP / "secret.txt"), f"{tag}-p1/../../secret.txt",
            f"{tag}-../../secret.txt", "file:///etc/passwd", f"{tag}-p1%2F..%2Fsecret.txt",
        ]
        for bad in attempts:
            result = asyncio.run(call_tool_http(SERVER.port, "get", {"id": bad}))
            self.assertTrue(result.is_error, bad)
            self.assertIn("malformed passage id", json.dumps(result.structured_content), bad)
            assert_no_leak(self, result.structured_content)
        status, body = SERVER.request("POST", "/v1/search", {"query": "canary", "folder": f"{TMP}/docs/../"})
        self.refused(status, body, 400, "invalid_request")
        for path in ["/v1/../../secret.txt", "/mcp/../../etc/passwd", f"/{TMP}/secret.txt"]:
            status, body = SERVER.request("GET", path)
            self.assertTrue(400 <= status < 500, (path, status, body))
            assert_no_leak(self, body)


async def call_tool_http(port, name, args):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
    async with client:
        async with streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=client) as (r, w):
            async with ClientSession(r, w) as session:
                await session.initialize()
                return await session.call_tool(name, args)


class WhileIndexing(unittest.TestCase):
    """Runs last (unittest sorts classes by name): it grows the index."""

    def test_searches_keep_answering_while_another_process_indexes(self):
        more = TMP / "docs" / "bulk"
        more.mkdir()
        for i in range(400):
            (more / f"note-{i}.md").write_text(f"Bulk note {i} about compost heaps and worm bins.\n" * 20)
        indexer = subprocess.Popen(
            [str(CRUMB), "index", str(TMP / "docs"), "--data-dir", str(DATA), "--embedder", "none"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        answered = 0
        try:
            while indexer.poll() is None or answered == 0:
                status, body = SERVER.request("POST", "/v1/search", {"query": "tomato", "rerank": False})
                self.assertEqual(status, 200, body)
                self.assertTrue(body["hits"][0]["path"].endswith("tomatoes.md"))
                answered += 1
        finally:
            self.assertEqual(indexer.wait(120), 0, indexer.stderr.read())
            indexer.stderr.close()
        self.assertGreater(answered, 1)
        # The server sees the new files without a restart.
        status, body = SERVER.request("POST", "/v1/search", {"query": "compost worm bins", "mode": "bm25"})
        self.assertEqual(status, 200, body)
        self.assertIn("/bulk/note-", body["hits"][0]["path"])


    def test_serve_watch_indexes_and_serves_new_files(self):
        docs, data = TMP / "watched", TMP / "watched-data"
        docs.mkdir()
        (docs / "a.md").write_text("The quokka smiles at visitors on Rottnest island.\n")
        server = Server(data, CONFIG, "--watch", docs, "--embedder", "none", "--reranker", "none")
        try:
            def find(word):
                for _ in range(100):
                    status, body = server.request("POST", "/v1/search", {"query": word})
                    self.assertEqual(status, 200, body)
                    if body["hits"]:
                        return body["hits"][0]["path"]
                    time.sleep(0.1)
                return None
            self.assertTrue(find("quokka").endswith("a.md"))
            (docs / "b.md").write_text("A wombat digs burrows at night.\n")
            self.assertTrue((find("wombat") or "").endswith("b.md"), "a file saved while serving is found")
            status = asyncio.run(call_tool_http(server.port, "status", {}))
            self.assertTrue(status.structured_content["watching"])
        finally:
            server.stop()


def main():
    global CRUMB
    p = argparse.ArgumentParser()
    p.add_argument("--crumb", default=str(REPO / "target/debug/crumb"))
    args, rest = p.parse_known_args()
    CRUMB = Path(args.crumb).resolve()
    if not CRUMB.exists():
        sys.exit(f"{CRUMB} not found: build it first (cargo build --workspace)")
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
