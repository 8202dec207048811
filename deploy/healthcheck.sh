#!/bin/bash
# Container health check for factdesk: GET http://127.0.0.1:$FACTDESK_HEALTH_PORT/healthz
# (default port 8080) and exit 0 on "200", 1 otherwise. Needs only bash (no curl/wget in
# the image): HTTP/1.0 over bash's /dev/tcp, so the server closes the connection after replying.
set -u
port="${FACTDESK_HEALTH_PORT:-8080}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 || exit 1
IFS= read -r -t 4 status <&3 || { echo "unhealthy: no reply from 127.0.0.1:${port}" >&2; exit 1; }
case "$status" in
  "HTTP/1."[01]" 200"*) exit 0 ;;
  *) echo "unhealthy: ${status%$'\r'}" >&2; exit 1 ;;
esac
