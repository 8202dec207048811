"""Reference Python peer: Discord HTTP interactions on Starlette + PyNaCl.

Run (single worker, as run.sh does):
    DISCORD_PUBLIC_KEY=<hex> uvicorn server:app --host 127.0.0.1 --port 3001 --workers 1

POST /interactions verifies X-Signature-Ed25519 over X-Signature-Timestamp + raw
body with the application's public key (401 if it fails), answers PING with
PONG and /dates with a type-4 message. Like discord-interactions' middleware it
does not check the timestamp's age.
"""

import json
import os
import re

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

PUBLIC_KEY = os.environ.get("DISCORD_PUBLIC_KEY", "")
if not re.fullmatch(r"[0-9a-fA-F]{64}", PUBLIC_KEY):
    raise SystemExit("DISCORD_PUBLIC_KEY must be set to a 64-char hex Ed25519 public key")

# Parsed once at startup (discord.py / most Python examples do the same).
VERIFY_KEY = VerifyKey(bytes.fromhex(PUBLIC_KEY))

# Same ~300-char answer as the Node peer (bench/peers/node/server.js).
DATES_CONTENT = (
    "**India PM visit to Israel \u2014 dates**\n"
    "Scheduled: Wed 25 \u2013 Thu 26 Feb 2026 (Asia/Jerusalem, UTC+2). "
    "Dates are as announced by the two governments and may still change; "
    "check the official itineraries before relying on them. "
    "Sources: Ministry of External Affairs (India); Prime Minister's Office (Israel)."
)

PING = 1
APPLICATION_COMMAND = 2
PONG = 1
CHANNEL_MESSAGE_WITH_SOURCE = 4


def _unauthorized():
    return PlainTextResponse("invalid request signature", status_code=401)


async def interactions(request: Request):
    signature = request.headers.get("x-signature-ed25519")
    timestamp = request.headers.get("x-signature-timestamp")
    if not signature or not timestamp:
        return _unauthorized()
    body = await request.body()
    try:
        VERIFY_KEY.verify(timestamp.encode() + body, bytes.fromhex(signature))
    except (BadSignatureError, ValueError, TypeError):
        return _unauthorized()

    try:
        interaction = json.loads(body)
    except ValueError:
        return JSONResponse({"error": "invalid json"}, status_code=400)
    if not isinstance(interaction, dict):
        return JSONResponse({"error": "invalid interaction"}, status_code=400)

    kind = interaction.get("type")
    if kind == PING:
        return JSONResponse({"type": PONG})
    if kind == APPLICATION_COMMAND:
        name = (interaction.get("data") or {}).get("name")
        if name == "dates":
            return JSONResponse(
                {
                    "type": CHANNEL_MESSAGE_WITH_SOURCE,
                    "data": {"content": DATES_CONTENT, "allowed_mentions": {"parse": []}},
                }
            )
        return JSONResponse({"error": "unknown command"}, status_code=400)
    return JSONResponse({"error": "unknown interaction type"}, status_code=400)


app = Starlette(routes=[Route("/interactions", interactions, methods=["POST"])])
