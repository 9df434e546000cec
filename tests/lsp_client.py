"""A small Language Server Protocol client over a subprocess's stdio, for driving a
real editor engine (Red Hat's yaml-language-server) from the tests.

JSON-RPC framing (`Content-Length` headers) on the server's pipes; one reader thread
puts each message on a queue. Every wait is bounded: a server that hangs fails the
test with a timeout, never blocks it.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

TIMEOUT = 20.0  # seconds for any one response or notification


class LspError(RuntimeError):
    pass


class LspClient:
    def __init__(self, command: Sequence[str], settings: dict[str, Any], cwd: Path) -> None:
        self.settings = settings
        self.process = subprocess.Popen(
            list(command), cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        assert self.process.stdin and self.process.stdout
        self._stdin: IO[bytes] = self.process.stdin
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,),
                                        daemon=True)
        self._reader.start()
        self._next_id = 0
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self._versions: dict[str, int] = {}

    # --- framing ---------------------------------------------------------------------

    def _read(self, stream: IO[bytes]) -> None:
        try:
            while True:
                length = None
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                if length is None:
                    continue
                self._messages.put(json.loads(stream.read(length)))
        finally:
            self._messages.put(None)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self._stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self._stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self._next_id += 1
        wanted = self._next_id
        self._send({"id": wanted, "method": method, "params": params})
        message = self._wait(lambda m: m.get("id") == wanted and "method" not in m,
                             f"the response to {method}")
        if "error" in message:
            raise LspError(f"{method}: {message['error']}")
        return message.get("result")

    def _wait(self, matches: Any, what: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout:g}s")
            try:
                message = self._messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if message is None:
                raise LspError(f"the server exited while waiting for {what}")
            self._handle(message)
            if matches(message):
                return message

    def _handle(self, message: dict[str, Any]) -> None:
        """Answer the server's own requests; record its diagnostics."""
        method = message.get("method")
        if method == "textDocument/publishDiagnostics":
            self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
        elif method is not None and "id" in message:
            result: Any = None
            if method == "workspace/configuration":
                result = [self.settings.get(item.get("section", ""), None)
                          for item in message["params"]["items"]]
            self._send({"id": message["id"], "result": result})

    # --- the protocol ----------------------------------------------------------------

    def initialize(self, root: Path) -> None:
        capabilities = {
            "textDocument": {
                "completion": {"completionItem": {"snippetSupport": True,
                                                  "documentationFormat": ["markdown"]}},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "publishDiagnostics": {},
            },
            "workspace": {"configuration": True},
        }
        self.request("initialize", {"processId": None, "rootUri": root.as_uri(),
                                    "capabilities": capabilities})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})

    def open(self, uri: str, text: str) -> None:
        self.diagnostics.pop(uri, None)
        self._versions[uri] = 1
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": text}})

    def close(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def wait_for_diagnostics(self, uri: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        if uri not in self.diagnostics:
            self._wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                       and m["params"]["uri"] == uri, f"diagnostics for {uri}", timeout)
        return self.diagnostics[uri]

    def completion(self, uri: str, line: int, character: int) -> list[dict[str, Any]]:
        result = self.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        if result is None:
            return []
        items = result["items"] if isinstance(result, dict) else result
        return items  # type: ignore[no-any-return]

    def hover(self, uri: str, line: int, character: int) -> str:
        result = self.request("textDocument/hover", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        if not result:
            return ""
        contents = result["contents"]
        if isinstance(contents, dict):
            return str(contents.get("value", ""))
        if isinstance(contents, list):
            return "\n".join(c if isinstance(c, str) else c.get("value", "") for c in contents)
        return str(contents)

    def shutdown(self) -> None:
        try:
            if self.process.poll() is None:
                self.request("shutdown", None)
                self.notify("exit", None)
                self.process.wait(timeout=5)
        except (LspError, TimeoutError, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=5)
