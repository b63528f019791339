"""Follow docs/deployment.md on loopback: PostgreSQL + Redis + nginx + 3 replicas + web form.

The sandbox plays Telegram and delivers updates by webhook to nginx, which spreads them over
three `otklik run --webhook` replicas. The replicas also serve the web pages
(OTKLIK_PUBLIC_URL is nginx's address), and the landing page `/t/<code>` and the form are
fetched through nginx before and after the crash. Simulated citizens answer; one replica is
killed with SIGKILL and restarted midway. Prints what was seen. Needs nginx, PostgreSQL
server binaries and redis-server (apt-get install -y nginx postgresql redis-server).

Usage: python tools/deployment_rehearsal.py [--citizens 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox import SandboxServer  # noqa: E402
from sandbox.telegram.simulated import SimulatedUser  # noqa: E402
from storage.database import create_engine  # noqa: E402
from tests.pg_server import postgres_server  # noqa: E402
from tests.redis_server import redis_server  # noqa: E402

NGINX_CONF = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    upstream otklik {{ {servers} }}
    upstream otklik_web {{ {web_servers} }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 64k;
        location /telegram {{
            proxy_pass http://otklik;
            proxy_next_upstream error timeout http_502 http_503;
        }}
        location /t/ {{
            proxy_pass http://otklik_web;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_next_upstream error timeout http_502 http_503;
        }}
        location / {{ return 404; }}
    }}
}}
"""
TOUCHPOINT = "SUP01-EPGU"


@dataclass
class Topology:
    """Where everything listens: nginx, and each replica's webhook and web ports."""

    url: str
    ports: list[int]
    web_ports: list[int]
    env: dict[str, str]
    folder: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def citizen(sandbox: SandboxServer, user_id: int) -> None:
    user = SimulatedUser(sandbox, user_id, timeout=60)
    await user.say("/start t-SUP01-EPGU", expect="Прежде чем начать")
    await user.tap("Дать согласие", expect="Вопрос 1")
    await user.tap("5", expect="комментарий")
    await user.tap("Пропустить", expect="в каком качестве")
    await user.tap("Гражданин", expect="Спасибо")


async def main(citizens: int) -> int:
    """The rehearsal: PostgreSQL, Redis, nginx and three replicas, with a SIGKILL midway."""
    folder = Path(tempfile.mkdtemp(prefix="otklik-deploy-"))
    with postgres_server() as database_url, redis_server() as redis_url:
        async with SandboxServer(webhook_retry_base=0.1) as sandbox:
            nginx_port = free_port()
            public_url = f"http://127.0.0.1:{nginx_port}"
            env = replica_env(sandbox.base_url, database_url, redis_url, public_url)
            where = Topology(
                url=f"{public_url}/telegram",
                ports=[free_port() for _ in range(3)],
                web_ports=[free_port() for _ in range(3)],
                env=env,
                folder=folder,
            )
            import_example_registry(env, folder)
            nginx = start_nginx(where, nginx_port)
            replicas = [start_replica(i, where) for i in range(3)]
            started = time.monotonic()
            try:
                await wait_for_webhook(sandbox)
                print(
                    f"nginx on :{nginx_port} → webhook on {where.ports}, "
                    f"web on {where.web_ports}; webhook registered"
                )
                pages_ok = await fetch_pages(public_url)
                await answer_through_a_crash(sandbox, citizens, replicas, where)
                pages_ok = await fetch_pages(public_url) and pages_ok
                return await report(sandbox, database_url, citizens, started, pages_ok)
            finally:
                stop_all(replicas, nginx, folder)


def replica_env(api_url: str, database_url: str, redis_url: str, public_url: str) -> dict[str, str]:
    """The environment every replica shares: one database, one Redis, one secret, one address."""
    return {
        **os.environ,
        "OTKLIK_BOT_TOKEN": "1000001:DEPLOY-rehearsal-token-abcdefg",
        "OTKLIK_TELEGRAM_API_URL": api_url,
        "OTKLIK_DATABASE_URL": database_url,
        "OTKLIK_REDIS_URL": redis_url,
        "OTKLIK_SECRET_KEY": "rehearsal-secret-same-on-every-replica",
        "OTKLIK_PUBLIC_URL": public_url,
    }


def import_example_registry(env: dict[str, str], folder: Path) -> None:
    """`otklik registry import examples/registry.xlsx`, as the README's deployment says."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "registry",
            "import",
            str(ROOT / "examples" / "registry.xlsx"),
        ],
        env=env,
        cwd=folder,
        check=True,
        capture_output=True,
    )


def start_nginx(where: Topology, nginx_port: int) -> subprocess.Popen[bytes]:
    """nginx in the foreground: /telegram over the webhook ports, /t/ over the web ports."""
    folder = where.folder
    (folder / "nginx.conf").write_text(
        NGINX_CONF.format(
            folder=folder,
            port=nginx_port,
            servers=" ".join(f"server 127.0.0.1:{p};" for p in where.ports),
            web_servers=" ".join(f"server 127.0.0.1:{p};" for p in where.web_ports),
        )
    )
    return subprocess.Popen(["nginx", "-c", str(folder / "nginx.conf"), "-g", "daemon off;"])


def start_replica(index: int, where: Topology) -> subprocess.Popen[bytes]:
    """`otklik run --webhook`; only replica 0 registers the webhook, the others share it.

    Each replica's web pages need a port of their own (OTKLIK_WEB_LISTEN), as in the
    systemd unit of docs/deployment.md."""
    args = [
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--webhook",
        where.url,
        "--listen",
        f"127.0.0.1:{where.ports[index]}",
    ]
    if index:
        args.append("--no-register")
    env = {**where.env, "OTKLIK_WEB_LISTEN": f"127.0.0.1:{where.web_ports[index]}"}
    log = (where.folder / f"replica{index}.log").open("ab")
    return subprocess.Popen(args, env=env, cwd=where.folder, stdout=log, stderr=log)


async def wait_for_webhook(sandbox: SandboxServer) -> None:
    """Up to a minute for replica 0 to call setWebhook."""
    for _ in range(600):
        if sandbox.stats()["calls"].get("setWebhook"):
            break
        await asyncio.sleep(0.1)


async def fetch_pages(public_url: str) -> bool:
    """The QR code's landing page and the form's first page, through nginx, from every replica.

    Six rounds of the landing page reach each of the three web upstreams twice (nginx's round
    robin); each must offer Telegram and the website. The form must set the device cookie."""
    landing = f"{public_url}/t/{TOUCHPOINT}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for _ in range(6):
            async with http.get(landing) as response:
                page = await response.text()
                if response.status != 200 or "Ответить в Telegram" not in page:
                    print(f"landing page through nginx: {response.status}, not the landing page")
                    return False
                if "Ответить на сайте" not in page or f"start=t-{TOUCHPOINT}" not in page:
                    print("landing page through nginx: a channel is missing")
                    return False
        async with http.get(f"{landing}/form") as response:
            cookie = response.cookies.get("otklik_device")
            if response.status != 200 or cookie is None:
                print(f"web form through nginx: {response.status}, cookie {cookie is not None}")
                return False
    print(f"landing page {landing} and its form served through nginx")
    return True


async def answer_through_a_crash(
    sandbox: SandboxServer,
    citizens: int,
    replicas: list[subprocess.Popen[bytes]],
    where: Topology,
) -> None:
    """Half the citizens answer; replica 1 is SIGKILLed; the rest answer; replica 1 restarts."""
    half = citizens // 2
    await asyncio.gather(*(citizen(sandbox, 50_000 + i) for i in range(half)))
    print(f"{half} citizens answered; killing replica 1 with SIGKILL")
    replicas[1].send_signal(signal.SIGKILL)
    replicas[1].wait()
    await asyncio.gather(*(citizen(sandbox, 50_000 + i) for i in range(half, citizens)))
    replicas[1] = start_replica(1, where)
    print(f"{citizens - half} more citizens answered with two replicas; replica 1 restarted")


async def report(
    sandbox: SandboxServer, database_url: str, citizens: int, started: float, pages_ok: bool
) -> int:
    """Prints what was stored and who holds the lease; 0 when nothing was lost and the web
    pages were served through nginx."""
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        stored = (await connection.execute(sa.text("SELECT count(*) FROM responses"))).scalar()
        pending = (
            await connection.execute(sa.text("SELECT count(*) FROM inbox WHERE status = 'pending'"))
        ).scalar()
        # Each webhook replica holds a `webhook:…` lease too; only one may hold the scheduler's.
        holders = (
            (
                await connection.execute(
                    sa.text("SELECT holder FROM leases WHERE name = 'scheduler'")
                )
            )
            .scalars()
            .all()
        )
        replicas = (
            await connection.execute(
                sa.text("SELECT count(*) FROM leases WHERE name LIKE 'webhook:%'")
            )
        ).scalar()
    await engine.dispose()
    stats = sandbox.stats()
    print(f"responses stored: {stored} of {citizens}; inbox pending: {pending}")
    print(f"scheduler lease holders: {holders}; webhook replicas holding a lease: {replicas}")
    print(
        f"webhook deliveries: {stats['webhook_delivered']}, "
        f"failed attempts retried: {stats['webhook_failed']}"
    )
    print(f"elapsed: {time.monotonic() - started:.1f} s")
    return 0 if stored == citizens and len(holders) == 1 and pages_ok else 1


def stop_all(
    replicas: list[subprocess.Popen[bytes]], nginx: subprocess.Popen[bytes], folder: Path
) -> None:
    """SIGTERM the replicas (SIGKILL after 30 s), stop nginx, remove the folder."""
    for process in replicas:
        process.send_signal(signal.SIGTERM)
    for process in replicas:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    nginx.send_signal(signal.SIGQUIT)
    nginx.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--citizens", type=int, default=60)
    sys.exit(asyncio.run(main(parser.parse_args().citizens)))
