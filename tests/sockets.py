"""Helpers that let a test talk to a session's websocket like a page does."""

import re

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from apps.classroom.routing import websocket_urlpatterns as classroom_urlpatterns
from apps.tutoring.routing import websocket_urlpatterns

TOKEN = re.compile(r'data-seq="(\d+)">(.*?)</span>', re.S)


async def open_socket(user, session_id: int) -> tuple[WebsocketCommunicator, bool, int | None]:
    """Connect as `user`; returns the communicator, whether it was accepted, and the close code."""
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/sessions/{session_id}/")
    ws.scope["user"] = user
    connected, code = await ws.connect()
    return ws, connected, code


async def connect(user, session_id: int) -> WebsocketCommunicator:
    ws, connected, _ = await open_socket(user, session_id)
    assert connected
    return ws


async def frames_until_final(ws: WebsocketCommunicator, turn_id: int) -> list[str]:
    """Every frame up to the one that replaces the turn with its finished stored form (a turn
    shown again as pending, while a lost worker's turn is retried, is not the end)."""
    final = re.compile(rf'class="turn \w+ (done|failed)" id="turn-{turn_id}"[^>]*hx-swap-oob="outerHTML"')
    frames = []
    while True:
        frame = await ws.receive_from(timeout=90)
        frames.append(frame)
        if final.search(frame):
            return frames


async def connect_path(user, path: str) -> WebsocketCommunicator:
    """Connect as `user` to any of the app's sockets (session or monitor) by path."""
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns + classroom_urlpatterns), path)
    ws.scope["user"] = user
    connected, _ = await ws.connect()
    assert connected
    return ws


def token_events(frames: list[str]) -> list[tuple[int, str]]:
    return [(int(seq), text) for f in frames for seq, text in TOKEN.findall(f)]


def session_cookie(user) -> str:
    """A `sessionid=...` cookie of a real signed-in Django session for `user`."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def live_socket(base_url: str, path: str, cookie: str, *, origin: str | None = None):
    """A real websocket to the daphne of `web_server` with a `session_cookie` (a context
    manager); the cookie is made beforehand, outside the event loop."""
    from websockets.asyncio.client import connect as ws_connect

    return ws_connect(base_url.replace("http://", "ws://") + path, origin=origin or base_url,
                      additional_headers={"Cookie": cookie}, open_timeout=30,
                      ping_interval=None)


async def recv_until(ws, needle: str, timeout: float = 60) -> str:
    """Frames from a real socket until one contains `needle`; returns that frame."""
    import asyncio

    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.recv()
            if needle in frame:
                return frame
