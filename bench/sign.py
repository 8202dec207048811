#!/usr/bin/env python3
"""Generate an Ed25519 keypair and pre-signed Discord interaction requests.

Usage:
    sign.py --out DIR [--new-key]

The keypair is kept in DIR/key.seed (hex, 32 bytes) and reused on later calls,
so servers started with the printed public key keep accepting re-signed
requests. Every call re-signs all requests with the current unix time, because
factdesk (like Discord's own guidance) rejects timestamps older than 5 minutes:
run.sh calls this right before every round.

Files written to DIR (all request bodies are byte-exact what gets signed):
    pubkey.hex               public key, hex (also printed on stdout)
    ping.body                {"type":1}
    ping.headers             curl -H @file format ("Name: value" per line)
    dates.body               /dates APPLICATION_COMMAND interaction
    dates.headers
    dates-tampered.headers   same as dates.headers, one signature byte flipped
    ts                       the timestamp used for signing

Requires PyNaCl.
"""

import argparse
import json
import os
import sys
import time

from nacl.signing import SigningKey

APP_ID = "1344000000000000001"
GUILD_ID = "1344000000000000002"
CHANNEL_ID = "1344000000000000003"
COMMAND_ID = "1344000000000000004"
USER_ID = "1344000000000000005"
INTERACTION_ID = "1344000000000000006"


def ping_payload():
    return {"type": 1}


def dates_payload():
    # Shape of a real guild slash-command interaction (API v10), /dates with no options.
    return {
        "app_permissions": "562949953601536",
        "application_id": APP_ID,
        "attachment_size_limit": 10485760,
        "authorizing_integration_owners": {"0": GUILD_ID},
        "channel": {
            "flags": 0,
            "guild_id": GUILD_ID,
            "id": CHANNEL_ID,
            "last_message_id": "1344000000000000100",
            "name": "general",
            "nsfw": False,
            "parent_id": None,
            "permissions": "2251799813685247",
            "position": 0,
            "rate_limit_per_user": 0,
            "topic": None,
            "type": 0,
        },
        "channel_id": CHANNEL_ID,
        "context": 0,
        "data": {"id": COMMAND_ID, "name": "dates", "type": 1},
        "entitlement_sku_ids": [],
        "entitlements": [],
        "guild": {"features": [], "id": GUILD_ID, "locale": "en-US"},
        "guild_id": GUILD_ID,
        "guild_locale": "en-US",
        "id": INTERACTION_ID,
        "locale": "en-US",
        "member": {
            "avatar": None,
            "banner": None,
            "communication_disabled_until": None,
            "deaf": False,
            "flags": 0,
            "joined_at": "2024-11-02T09:14:27.512000+00:00",
            "mute": False,
            "nick": None,
            "pending": False,
            "permissions": "2251799813685247",
            "premium_since": None,
            "roles": ["1344000000000000201", "1344000000000000202"],
            "unusual_dm_activity_until": None,
            "user": {
                "avatar": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                "avatar_decoration_data": None,
                "clan": None,
                "discriminator": "0",
                "global_name": "Bench User",
                "id": USER_ID,
                "primary_guild": None,
                "public_flags": 0,
                "username": "benchuser",
            },
        },
        "token": "aW50ZXJhY3Rpb246MTM0NDAwMDAwMDAwMDAwMDAwNjpiZW5jaG1hcmstdG9rZW4tbm90LXJlYWwtZG8tbm90LXVzZS1vdXRzaWRlLWJlbmNo",
        "type": 2,
        "version": 1,
    }


def load_or_create_key(out, new_key):
    seed_path = os.path.join(out, "key.seed")
    if not new_key and os.path.exists(seed_path):
        with open(seed_path) as f:
            return SigningKey(bytes.fromhex(f.read().strip()))
    sk = SigningKey.generate()
    tmp = seed_path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(bytes(sk).hex() + "\n")
    os.replace(tmp, seed_path)
    return sk


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def headers_text(ts, sig_hex):
    return (
        "Content-Type: application/json\n"
        "User-Agent: Discord-Interactions/1.0 (+https://discord.com)\n"
        f"X-Signature-Ed25519: {sig_hex}\n"
        f"X-Signature-Timestamp: {ts}\n"
    ).encode()


def tamper(sig_hex):
    # Flip the lowest bit of the first byte: still valid hex, wrong signature.
    first = int(sig_hex[:2], 16) ^ 0x01
    return f"{first:02x}" + sig_hex[2:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--new-key", action="store_true", help="discard any stored key and generate a new one")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    sk = load_or_create_key(args.out, args.new_key)
    pub_hex = sk.verify_key.encode().hex()
    ts = str(int(time.time()))

    for name, payload in (("ping", ping_payload()), ("dates", dates_payload())):
        body = json.dumps(payload, separators=(",", ":")).encode()
        sig_hex = sk.sign(ts.encode() + body).signature.hex()
        write(os.path.join(args.out, f"{name}.body"), body)
        write(os.path.join(args.out, f"{name}.headers"), headers_text(ts, sig_hex))
        if name == "dates":
            write(os.path.join(args.out, "dates-tampered.headers"), headers_text(ts, tamper(sig_hex)))

    write(os.path.join(args.out, "pubkey.hex"), (pub_hex + "\n").encode())
    write(os.path.join(args.out, "ts"), (ts + "\n").encode())
    print(pub_hex)
    return 0


if __name__ == "__main__":
    sys.exit(main())
