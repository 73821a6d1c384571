"""HTTPS requests to lab hosts by address, with the domain's SNI and the lab CA."""

from __future__ import annotations

import json
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(address: str, domain: str, path: str, ca_file: Path, timeout: float = 10) -> Response:
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection((address, 443), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=domain) as conn,
    ):
        request = f"GET {path} HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n"
        conn.sendall(request.encode())
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    if headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return Response(int(lines[0].split()[1]), headers, body.decode("utf-8", "replace"))


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return bytes(out)
