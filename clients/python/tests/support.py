"""Real parts for the tests: the built Motadata.Cache service and redis-server, each a child process on a free
loopback port. No mock of either.

The service is the built ``Motadata.Cache.Server.dll``: ``MOTADATA_CACHE_SERVER_DLL`` names it (the .NET test that
runs these tests sets it); otherwise the newest one under ``src/Motadata.Cache.Server/bin`` is used, built once with
``dotnet build`` when there is none.
"""

import glob
import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from typing import Dict, List, Optional

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# Generous: CI shares two cores with other work; nothing here races the clock, it only bounds a hang.
START_DEADLINE_SECONDS = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_dll() -> str:
    named = os.environ.get("MOTADATA_CACHE_SERVER_DLL")
    if named:
        if not os.path.isfile(named):
            raise RuntimeError(f"MOTADATA_CACHE_SERVER_DLL is {named!r}, which is not a file.")
        return named
    pattern = os.path.join(REPOSITORY, "src", "Motadata.Cache.Server", "bin", "*", "net*", "Motadata.Cache.Server.dll")
    built = sorted(glob.glob(pattern), key=os.path.getmtime)
    if not built:
        subprocess.run(["dotnet", "build", os.path.join(REPOSITORY, "src", "Motadata.Cache.Server")], check=True,
                       stdout=subprocess.DEVNULL)
        built = sorted(glob.glob(pattern), key=os.path.getmtime)
    if not built:
        raise RuntimeError(f"No Motadata.Cache.Server.dll matches {pattern} after dotnet build.")
    return built[-1]


class _Child:
    """A child process whose output is collected by a thread, for error messages."""

    def __init__(self, args: List[str], env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None):
        self._lines: List[str] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                        text=True, encoding="utf-8", errors="replace")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._lock:
                self._lines.append(line)

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        self.process.stdout.close()


class RedisServer(_Child):
    """A real redis-server on a free loopback port, with nothing persisted."""

    def __init__(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed; scripts/test installs it (apt-get install redis-server).")
        self.port = free_port()
        self._directory = tempfile.mkdtemp(prefix="motadata-cache-py-redis-")
        super().__init__([executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", self._directory])
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while True:
            try:
                if self.command("PING") == "PONG":
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer PING on port {self.port}:\n{self.output}")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"dragonfly://127.0.0.1:{self.port}"

    def command(self, *parts: str):
        """Sends one command (RESP) and returns its reply: str, int, None, or a list of them."""
        request = f"*{len(parts)}\r\n".encode()
        for part in parts:
            data = part.encode("utf-8")
            request += b"$" + str(len(data)).encode() + b"\r\n" + data + b"\r\n"
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
            connection.sendall(request)
            reader = connection.makefile("rb")
            return _read_reply(reader)

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self._directory, ignore_errors=True)


def _read_reply(reader):
    line = reader.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError("redis: " + rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        length = int(rest)
        if length < 0:
            return None
        data = reader.read(length + 2)[:-2]
        return data.decode("utf-8", "replace")
    if kind == b"*":
        return [_read_reply(reader) for _ in range(int(rest))]
    raise RuntimeError(f"redis: unexpected reply {line!r}")


class CacheService(_Child):
    """The built Motadata.Cache service on a free loopback port, configured by environment variables."""

    def __init__(self, settings: Optional[Dict[str, str]] = None, port: Optional[int] = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {name: value for name, value in os.environ.items()
               if name not in ("ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_ENVIRONMENT")
               and not name.startswith(("Cache__", "Service__"))}
        env["Logging__Console__FormatterName"] = "simple"
        env.update(settings or {})
        super().__init__(["dotnet", server_dll(), "--urls", self.url], env=env, cwd=tempfile.gettempdir())
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"The service did not answer /healthz on {self.url}:\n{self.output}")
            time.sleep(0.1)

    def _ready(self) -> bool:
        try:
            return self.request("GET", "/healthz")[0] == 200
        except OSError:
            return False

    def request(self, method: str, target: str, body: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None):
        """One raw HTTP request on a fresh connection: (status, content type, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, target, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type"), response.read()
        finally:
            connection.close()
