"""The shared runner's access log (`python -m service`, `python -m gateway`): one line per
request naming the route, never the ids in the path, a query string or a header."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys

import aiohttp
import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from infra.runner import RouteAccessLogger
from service.settings import PROJECT_ROOT
from stack.supervisor import free_port


async def test_the_access_log_names_the_route_not_the_ids_or_the_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def conversation(request: web.Request) -> web.Response:
        return web.json_response({"state": "bot"})

    app = web.Application()
    app.router.add_get("/handoff/conversations/{conversation_id}", conversation)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log_class=RouteAccessLogger)
    secret_id, query_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with aiohttp.ClientSession() as session:
                url = server.make_url(f"/handoff/conversations/{secret_id}?token={query_token}")
                async with session.get(url) as reply:
                    assert reply.status == 200
                async with session.get(server.make_url(f"/nowhere/{secret_id}")) as reply:
                    assert reply.status == 404
    finally:
        await server.close()
    lines = [record.getMessage() for record in caplog.records if record.name == "aiohttp.access"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /handoff/conversations/{conversation_id} 200 ")
    assert lines[1].startswith("GET (no route) 404 ")
    assert not [line for line in lines if secret_id in line or query_token in line]


async def test_a_load_balancers_health_probes_are_logged_only_when_they_fail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    healthy = True

    async def live(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=200 if healthy else 503)

    app = web.Application()
    app.router.add_get("/health/live", live)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log_class=RouteAccessLogger)
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with aiohttp.ClientSession() as session:
                for _ in range(5):
                    async with session.get(server.make_url("/health/live")) as reply:
                        assert reply.status == 200
                healthy = False
                async with session.get(server.make_url("/health/live")) as reply:
                    assert reply.status == 503
    finally:
        await server.close()
    lines = [record.getMessage() for record in caplog.records if record.name == "aiohttp.access"]
    assert len(lines) == 1 and lines[0].startswith("GET /health/live 503 ")


async def test_the_gateway_logs_routes_without_socket_ids_session_ids_or_tokens(
    redis_url: str,
) -> None:
    """`python -m gateway` for real: a widget connects as browsers do by default (long-polling,
    then a WebSocket upgrade whose URL carries engine.io's `sid`) and gets a session; a console
    call carries a bearer token and a query string."""
    port = free_port()
    gateway_url = f"http://127.0.0.1:{port}"
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(PROJECT_ROOT),
        "PYTHONUNBUFFERED": "1",
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "REDIS_URL": redis_url,
        "RASA_URL": f"http://127.0.0.1:{free_port()}",  # nobody: not asked in this test
        "SERVICE_URL": f"http://127.0.0.1:{free_port()}",  # nobody: the console gets 503
        "SERVICE_TOKEN": secrets.token_urlsafe(32),
        "CUSTOMER_SIGNING_SECRET": secrets.token_urlsafe(32),
    }
    gateway = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    agent_token, query_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    try:
        await until_healthy(f"{gateway_url}/health", gateway)
        client = socketio.AsyncClient(reconnection=False)
        confirmed: list[str] = []
        client.on("session_confirm", confirmed.append)
        await client.connect(gateway_url, headers={"Origin": gateway_url})
        engine_sid = str(client.eio.sid)
        await client.emit("session_request", {"session_id": None})
        for _ in range(100):
            if confirmed:
                break
            await asyncio.sleep(0.05)
        await client.disconnect()
        assert confirmed, "the gateway issued no session"
        headers = {"Authorization": f"Bearer {agent_token}", "Origin": gateway_url}
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.get(f"{gateway_url}/console/api/me?q={query_secret}") as reply:
                assert reply.status == 503  # no service behind it
    finally:
        gateway.terminate()
        output = (await asyncio.wait_for(gateway.communicate(), 15))[0].decode()
    assert "GET /health 200" not in output  # a successful probe is not logged
    assert "GET /socket.io/ 200" in output and "GET /socket.io/ 101" in output  # the upgrade
    assert "GET /console/api/{path} 503" in output
    for name, value in {
        "engine.io sid": engine_sid,
        "session id": confirmed[0],
        "agent token": agent_token,
        "query string": query_secret,
        "service token": env["SERVICE_TOKEN"],
    }.items():
        assert value not in output, f"the {name} is in the gateway's log"


async def until_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    for _ in range(150):
        assert process.returncode is None, "the gateway exited"
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(url) as reply:
                    if reply.status == 200:
                        return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the gateway did not start")
