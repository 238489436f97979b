"""Helpers that let a test talk to a session's websocket like a page does."""

import re

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

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
    """Every frame up to the one that replaces the turn with its stored form."""
    frames = []
    while True:
        frame = await ws.receive_from(timeout=90)
        frames.append(frame)
        if f'id="turn-{turn_id}"' in frame and 'hx-swap-oob="outerHTML"' in frame:
            return frames


def token_events(frames: list[str]) -> list[tuple[int, str]]:
    return [(int(seq), text) for f in frames for seq, text in TOKEN.findall(f)]
