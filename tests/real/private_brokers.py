"""Private RabbitMQ and Kafka instances for fault tests: started, killed and restarted here.

The shared brokers (RabbitMQ 5672, Kafka 9092) serve every engineer and test on the
machine, so a test that kills a broker gets its own: `PrivateRabbitMQ` runs a second node
of Debian's rabbitmq-server (node `bp-fault-<n>@localhost`, its own ports, Erlang cookie,
data and log directories in a temporary directory, management on its own port), and
`PrivateKafka` runs a KRaft single node from the jars `scripts/services.sh` cached, with
its own ports, data directory and a small heap. Each offers `start()`, `kill()` (SIGKILL,
as a crash), `stop()` (clean) and `restart()`; data survives a kill, so durable queues,
persistent messages, records and committed offsets come back as on a real restart.

Ports are picked free below the ephemeral range (so no client socket takes them while a
broker is down), away from the RabbitMQ CLI tools' distribution ports (node port +
30000, +0..10). `missing()` says why an instance cannot run here (no rabbitmq-server, no
Java, no cached Kafka jars), for the fixtures to skip with. Run by hand:
`python -m tests.real.private_brokers rabbitmq|kafka` starts one and waits for Ctrl-C.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")  # the real scripts, not Debian's su wrappers
KAFKA_POM = ROOT / "scripts" / "kafka" / "pom.xml"
KAFKA_LOG4J = ROOT / "scripts" / "kafka" / "log4j2.properties"
SHARED_PORTS = {4369, 5672, 6379, 9092, 9093, 15672, 25672}
_counter = itertools.count(1)
_running: set = set()  # started and not yet stopped: stopped at exit whatever happened


@atexit.register
def _stop_all() -> None:
    for broker in list(_running):
        with contextlib.suppress(Exception):
            broker.kill()


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_ports(count: int, start: int) -> list[int]:
    """`count` consecutive-ish free loopback ports from `start` up (below 32768)."""
    found: list[int] = []
    for port in range(start, 32000):
        if port in SHARED_PORTS:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"no {count} free ports from {start}")


def wait_until(check, timeout: float, what: str, interval: float = 0.3) -> None:
    """Call `check()` until it is true; RuntimeError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise RuntimeError(f"{what} within {timeout:.0f}s")


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as dead
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _end(pid: int | None, sig: int, timeout: float) -> None:
    """Send `sig` to `pid` and wait until it is gone (SIGKILL after `timeout`)."""
    if not _alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.1)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            _reap(pid)
            time.sleep(0.05)
    _reap(pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


class PrivateRabbitMQ:
    """A RabbitMQ node of its own: AMQP on `port`, management on `management_port`."""

    def __init__(self, base: Path | None = None) -> None:
        n = next(_counter)
        self.node = f"bp-fault-{os.getpid()}-{n}@localhost"
        self.dir = Path(base or tempfile.mkdtemp(prefix="bp-fault-rabbitmq-"))
        self.dist_port, self.port, self.management_port = free_ports(3, 21000 + 10 * n)
        self.pid: int | None = None

    @staticmethod
    def missing() -> str:
        """Why a private node cannot run here ("" when it can)."""
        if not (RABBIT_BIN / "rabbitmq-server").exists():
            return "rabbitmq-server is not installed (run `bash scripts/services.sh start`)"
        return ""

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    def env(self) -> dict[str, str]:
        d = self.dir
        return {
            **os.environ,
            # its own cookie: the server and our CLI calls read $HOME/.erlang.cookie
            "HOME": str(d),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"),  # not /etc's (port 5672)
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(d / "pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def _configure(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        # The AMQP listener comes from RABBITMQ_NODE_PORT; a listeners.tcp line here too
        # would make the node bind the port twice and stop (eaddrinuse).
        (self.dir / "rabbitmq.conf").write_text(
            "loopback_users.guest = true\n"
            "management.tcp.ip = 127.0.0.1\n"
            f"management.tcp.port = {self.management_port}\n"
        )
        (self.dir / "rabbitmq-env.conf").write_text("")
        (self.dir / "enabled_plugins").write_text("[rabbitmq_management].\n")

    def _ctl(self, *args: str, tool: str = "rabbitmqctl", timeout: float = 60) -> bool:
        cmd = [str(RABBIT_BIN / tool), "-n", self.node, "-q", *args]
        try:
            done = subprocess.run(
                cmd, env=self.env(), capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def start(self, timeout: float = 90) -> None:
        """Start the node detached and wait until AMQP and management answer."""
        self._configure()
        subprocess.run(
            [str(RABBIT_BIN / "rabbitmq-server"), "-detached"],
            env=self.env(),
            cwd=self.dir,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pidfile = self.dir / "pid"
        wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), timeout, "no pid")
        self.pid = int(pidfile.read_text().strip())
        started = time.monotonic()

        def up() -> bool:
            if not _alive(self.pid):
                raise RuntimeError(f"RabbitMQ node {self.node} exited; see {self.dir}/log")
            return port_open(self.port) and port_open(self.management_port)

        _running.add(self)
        wait_until(up, timeout, f"RabbitMQ node {self.node} did not listen")
        self._ctl("await_startup", "--timeout", str(int(timeout - (time.monotonic() - started))))

    def running(self) -> bool:
        """Whether the node's process lives and its AMQP port answers."""
        return _alive(self.pid) and port_open(self.port)

    def kill(self) -> None:
        """SIGKILL the node, as a crash: no clean shutdown, data stays on disk."""
        _running.discard(self)
        _end(self.pid, signal.SIGKILL, 10)
        (self.dir / "pid").unlink(missing_ok=True)
        wait_until(lambda: not port_open(self.port), 10, "the killed node's port stayed open")

    def stop(self) -> None:
        """Stop the node cleanly (SIGTERM is the Erlang VM's init:stop)."""
        _running.discard(self)
        _end(self.pid, signal.SIGTERM, 30)
        (self.dir / "pid").unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the node and remove its directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateKafka:
    """A single-node KRaft Kafka of its own on `port` (controller on `controller_port`)."""

    def __init__(self, base: Path | None = None, heap_mb: int = 384) -> None:
        n = next(_counter)
        self.dir = Path(base or tempfile.mkdtemp(prefix="bp-fault-kafka-"))
        self.port, self.controller_port = free_ports(2, 23000 + 10 * n)
        self.heap_mb = heap_mb
        self.process: subprocess.Popen | None = None
        self._log = None

    @staticmethod
    def libs() -> Path | None:
        """The jar directory scripts/services.sh filled for the pinned pom, if complete."""
        cache = Path(os.environ.get("BP_CACHE_DIR", "/var/cache/broker-playground"))
        if not KAFKA_POM.exists():
            return None
        version = re.search(r"<kafka.version>(.*?)</kafka.version>", KAFKA_POM.read_text())
        digest = hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()[:12]
        libs = cache / f"kafka-{version.group(1) if version else '?'}-{digest}"
        return libs if (libs / ".complete").exists() else None

    @classmethod
    def missing(cls) -> str:
        """Why a private Kafka cannot run here ("" when it can)."""
        if shutil.which("java") is None:
            return "no java on PATH (Kafka needs Java 17)"
        if cls.libs() is None:
            return "Kafka's jars are not cached (run `bash scripts/services.sh start`)"
        return ""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _java(self, *args: str) -> list[str]:
        return [
            "java",
            f"-Xms{self.heap_mb}m",
            f"-Xmx{self.heap_mb}m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",  # starts faster; a test broker needs no C2
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_LOG4J}",
            "-cp",
            f"{self.libs()}/*",
            *args,
        ]

    def _configure(self) -> Path:
        data = self.dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        props = self.dir / "server.properties"
        ctl = f"127.0.0.1:{self.controller_port}"
        props.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers={ctl}",
                    f"listeners=PLAINTEXT://{self.bootstrap},CONTROLLER://{ctl}",
                    f"advertised.listeners=PLAINTEXT://{self.bootstrap},CONTROLLER://{ctl}",
                    "inter.broker.listener.name=PLAINTEXT",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    f"log.dirs={data}",
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=3",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    "delete.topic.enable=true",
                    "",
                ]
            )
        )
        if not (data / "meta.properties").exists():
            cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            subprocess.run(
                self._java(
                    "kafka.tools.StorageTool",
                    "format",
                    "--standalone",
                    "-t",
                    cluster,
                    "-c",
                    str(props),
                ),  # fmt: skip
                check=True,
                capture_output=True,
            )
        return props

    def start(self, timeout: float = 90) -> None:
        """Start the broker and wait until it answers a metadata request."""
        props = self._configure()
        self._log = open(self.dir / "kafka.log", "ab")  # noqa: SIM115 - kept while it runs
        self.process = subprocess.Popen(
            self._java("kafka.Kafka", str(props)),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _running.add(self)

        def up() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"Kafka exited ({self.process.returncode}); see {self.dir}")
            return port_open(self.port) and self._answers()

        wait_until(up, timeout, f"Kafka on {self.bootstrap} did not answer", interval=0.5)

    def _answers(self) -> bool:
        from kafka import KafkaAdminClient

        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap, request_timeout_ms=3000, bootstrap_timeout_ms=3000
            )
        except Exception:  # noqa: BLE001 - not yet
            return False
        try:
            admin.list_topics()
            return True
        except Exception:  # noqa: BLE001 - not yet
            return False
        finally:
            admin.close()

    def running(self) -> bool:
        """Whether the broker's process lives and its port answers."""
        return self.process is not None and self.process.poll() is None and port_open(self.port)

    def kill(self) -> None:
        """SIGKILL the broker, as a crash (its log recovers on the next start)."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """Stop cleanly (SIGTERM: a controlled shutdown)."""
        self._end(signal.SIGTERM)

    def _end(self, sig: int) -> None:
        _running.discard(self)
        if self.process is not None:
            _end(self.process.pid, sig, 30)
            self.process.wait()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    kind = argv[1] if len(argv) > 1 else ""
    if kind not in ("rabbitmq", "kafka"):
        print("usage: python -m tests.real.private_brokers rabbitmq|kafka")
        return 2
    broker = PrivateRabbitMQ() if kind == "rabbitmq" else PrivateKafka()
    reason = broker.missing()
    if reason:
        print(reason)
        return 1
    started = time.monotonic()
    broker.start()
    where = broker.url if kind == "rabbitmq" else broker.bootstrap
    print(f"{kind} up in {time.monotonic() - started:.1f}s at {where} (dir {broker.dir}); Ctrl-C")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        broker.close()
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv))
