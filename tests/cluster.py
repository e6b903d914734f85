"""A PostgreSQL cluster under Patroni, with one etcd, on loopback: for the failover tests.

Not part of the service: a deployment's cluster is its operator's (docs/operations.md,
"Failover with Patroni" has a configuration to start from). Here every node and etcd take free
ports and a temporary directory, so nothing on the machine is disturbed and the suite runs
beside anything else. Patroni and etcd come from the system (Debian: ``patroni``,
``etcd-server``) with the system's PostgreSQL binaries, which ``find_tools`` looks for. As root,
PostgreSQL refuses to run, so Patroni runs as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCOPE = "connect-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Tools:
    patroni: str
    etcd: str
    pg_bin: str


def find_tools() -> Tools | str:
    """The programs a cluster needs, or what is missing."""
    patroni, etcd = shutil.which("patroni"), shutil.which("etcd")
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_rewind"), key=_major)
    missing = [
        name
        for name, found in (("patroni", patroni), ("etcd", etcd), ("PostgreSQL's pg_rewind", bins))
        if not found
    ]
    if missing or patroni is None or etcd is None:
        return f"{', '.join(missing)} not found (Debian: apt-get install patroni etcd-server)"
    return Tools(patroni, etcd, str(Path(bins[-1]).parent))


def _major(path: str) -> int:
    return int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0


def _user() -> str | None:
    return "postgres" if os.geteuid() == 0 else None


@dataclass
class Node:
    name: str
    pg_port: int
    api_port: int
    data_dir: Path
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def status(self) -> dict[str, Any] | None:
        """Patroni's own view of this node (``GET /patroni``), or None if it does not answer."""
        try:
            with urllib.request.urlopen(f"{self.api}/patroni", timeout=2) as r:  # noqa: S310
                return dict(json.loads(r.read()))
        except OSError as exc:
            body = getattr(exc, "read", None)
            if body is not None:  # an HTTPError (503 for a replica that is not running) has one
                with contextlib.suppress(Exception):
                    return dict(json.loads(body()))
            return None


@dataclass
class Cluster:
    tools: Tools
    top: Path
    etcd_port: int
    nodes: list[Node]
    etcd: subprocess.Popen[bytes] | None = None
    started: float = field(default_factory=time.monotonic)

    # --- the service's view -------------------------------------------------------------------

    def url(self, attrs: str = "read-write") -> str:
        hosts = ",".join(f"127.0.0.1:{n.pg_port}" for n in self.nodes)
        return f"postgresql://postgres@{hosts}/postgres?target_session_attrs={attrs}"

    # --- Patroni's view ------------------------------------------------------------------------

    def members(self) -> list[dict[str, Any]]:
        """``GET /cluster`` of any node that answers: each member's name, role, state, lag."""
        for node in self.nodes:
            try:
                with urllib.request.urlopen(f"{node.api}/cluster", timeout=2) as r:  # noqa: S310
                    return list(json.loads(r.read())["members"])
            except (OSError, ValueError, KeyError):
                continue
        return []

    def leader(self) -> Node | None:
        for member in self.members():
            if member.get("role") == "leader" and member.get("state") == "running":
                return self.node(member["name"])
        return None

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def wait_leader(self, timeout: float = 90, other_than: str | None = None) -> Node:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = [n for n in self.nodes if n.process is not None]
            if started and all(n.process.poll() is not None for n in started if n.process):
                raise RuntimeError(f"every Patroni has exited:\n{self.logs()}")
            leader = self.leader()
            if leader is not None and leader.name != other_than and self.writable(leader):
                return leader
            time.sleep(0.2)
        raise TimeoutError(f"no writable leader in {timeout} s: {self.members()}\n{self.logs()}")

    def wait_streaming(self, count: int, timeout: float = 120) -> None:
        """Until ``count`` replicas are running and have replayed all the leader has written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            members = self.members()
            replicas = [
                m
                for m in members
                if m.get("role") in ("replica", "sync_standby")
                and m.get("state") in ("running", "streaming")
                and m.get("lag") in (0, "0")
            ]
            # In synchronous mode, one of them is the synchronous standby again.
            if len(replicas) >= count and any(m.get("role") == "sync_standby" for m in members):
                return
            time.sleep(0.3)
        raise TimeoutError(f"{count} replicas not caught up in {timeout} s: {self.members()}")

    def writable(self, node: Node) -> bool:
        out = self.psql(node, "SELECT NOT pg_is_in_recovery()")
        return out == "t"

    def psql(self, node: Node, statement: str, database: str = "postgres") -> str | None:
        done = subprocess.run(
            [
                f"{self.tools.pg_bin}/psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(node.pg_port),
                "-U",
                "postgres",
                "-d",
                database,
                "-XAtqc",
                statement,
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "2"},
        )
        return done.stdout.strip() if done.returncode == 0 else None

    # --- what happens to it --------------------------------------------------------------------

    def start_node(self, node: Node) -> None:
        log = node.log.open("ab")
        node.process = subprocess.Popen(
            [self.tools.patroni, str(node.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=_user(),
            start_new_session=True,
        )

    def kill_postmaster(self, node: Node) -> None:
        """The PostgreSQL server dies (SIGKILL to its postmaster); its Patroni lives on."""
        pid = node.postmaster_pid()
        assert pid is not None, f"{node.name} has no postmaster"
        os.kill(pid, signal.SIGKILL)

    def kill_machine(self, node: Node) -> None:
        """The node's machine dies: its Patroni and its PostgreSQL, both at once (SIGKILL)."""
        pid = node.postmaster_pid()
        if node.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.process.pid, signal.SIGKILL)
            node.process.wait(timeout=10)
            node.process = None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            # Its backends see their postmaster gone and exit; wait for the port to free.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and _listening(node.pg_port):
                time.sleep(0.1)

    def switchover(self, candidate: Node) -> dict[str, Any]:
        """A planned switchover to ``candidate`` (Patroni's REST call, as patronictl makes)."""
        leader = self.leader()
        assert leader is not None
        body = json.dumps({"leader": leader.name, "candidate": candidate.name}).encode()
        request = urllib.request.Request(  # noqa: S310
            f"{leader.api}/switchover",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310
            return {"status": r.status, "body": r.read().decode()}

    def logs(self, tail: int = 3000) -> str:
        parts = []
        for node in self.nodes:
            with contextlib.suppress(OSError):
                parts.append(f"--- {node.name}\n{node.log.read_text()[-tail:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.process.pid, signal.SIGTERM)
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(node.process.pid, signal.SIGKILL)
            if (pid := node.postmaster_pid()) is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.etcd is not None:
            self.etcd.kill()
            self.etcd.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _config(node: Node, cluster_dir: Path, etcd_port: int, pg_bin: str) -> str:
    """Patroni's configuration of one node: the same shape as docs/operations.md shows, with
    trust on loopback in place of passwords."""
    return f"""
scope: {SCOPE}
name: {node.name}
log:
  level: INFO
restapi:
  listen: 127.0.0.1:{node.api_port}
  connect_address: 127.0.0.1:{node.api_port}
etcd3:
  hosts: 127.0.0.1:{etcd_port}
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 200
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
  pg_hba:
    - local all all trust
    - host replication all 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:{node.pg_port}
  connect_address: 127.0.0.1:{node.pg_port}
  data_dir: {node.data_dir}
  bin_dir: {pg_bin}
  pgpass: {cluster_dir}/pgpass-{node.name}
  authentication:
    superuser:
      username: postgres
      password: postgres
    replication:
      username: replicator
      password: replicator
    rewind:
      username: postgres
      password: postgres
  parameters:
    unix_socket_directories: {cluster_dir}
    shared_buffers: 64MB
    fsync: "on"
"""


@contextlib.contextmanager
def running(tools: Tools, top: Path, size: int = 3) -> Iterator[Cluster]:
    """One etcd and ``size`` PostgreSQL nodes under Patroni, in ``top``; yields once a leader
    is writable and every replica streams."""
    top.mkdir(parents=True, exist_ok=True)
    os.chmod(top, 0o755)  # noqa: S103 (the postgres user must get in)
    user = _user()
    etcd_port, peer_port = free_port(), free_port()
    etcd_dir = top / "etcd"
    etcd_log = (top / "etcd.log").open("ab")
    cluster = Cluster(tools, top, etcd_port, [])
    cluster.etcd = subprocess.Popen(
        [
            tools.etcd,
            "--name",
            "etcd0",
            "--data-dir",
            str(etcd_dir),
            "--listen-client-urls",
            f"http://127.0.0.1:{etcd_port}",
            "--advertise-client-urls",
            f"http://127.0.0.1:{etcd_port}",
            "--listen-peer-urls",
            f"http://127.0.0.1:{peer_port}",
            "--initial-advertise-peer-urls",
            f"http://127.0.0.1:{peer_port}",
            "--initial-cluster",
            f"etcd0=http://127.0.0.1:{peer_port}",
        ],
        stdout=etcd_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _listening(etcd_port):
            if time.monotonic() > deadline:
                raise TimeoutError("etcd did not start")
            time.sleep(0.1)
        for index in range(1, size + 1):
            name = f"pg{index}"
            node = Node(
                name,
                free_port(),
                free_port(),
                top / name,
                top / f"{name}.yml",
                top / f"{name}.log",
            )
            node.config.write_text(_config(node, top, etcd_port, tools.pg_bin))
            if user is not None:
                shutil.chown(node.config, user)
                shutil.chown(top, user)
            cluster.nodes.append(node)
        for node in cluster.nodes:
            cluster.start_node(node)
            if node is cluster.nodes[0]:
                cluster.wait_leader(timeout=90)  # the first bootstraps; the others copy it
        cluster.wait_streaming(size - 1)
        yield cluster
    finally:
        cluster.stop()
        # The data (about 1 GB after a failover run) goes; the logs stay, for a failure.
        for path in [etcd_dir, *(n.data_dir for n in cluster.nodes)]:
            shutil.rmtree(path, ignore_errors=True)
