#!/usr/bin/env bash
# Quick start: installs everything, then runs Sextant's main job.
# Until the scan pipeline lands, the main job identifies sample banners with the
# Recog engine: the project's fingerprints plus Recog's database when present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup.sh
if [ -z "${SEXTANT_RECOG_DIR:-}" ] && [ -d ../shared/recog/xml ]; then
  export SEXTANT_RECOG_DIR="$PWD/../shared/recog/xml"
fi
export SEXTANT_LOG_LEVEL="${SEXTANT_LOG_LEVEL:-warn}"
echo "== fingerprints verify (project fingerprints${SEXTANT_RECOG_DIR:+ and $SEXTANT_RECOG_DIR})"
npx sextant fingerprints verify --json
echo "== fingerprints match: an SSH banner"
npx sextant fingerprints match --key ssh.banner 'OpenSSH_9.2p1 Debian-2+deb12u3'
echo "== fingerprints match: a NATS INFO line"
npx sextant fingerprints match --key nats.info '{"server_id":"NDMK3OAKOQ6X","server_name":"NDMK3OAKOQ6X","version":"2.9.10","proto":1,"go":"go1.19.8","host":"127.0.0.1","port":4222,"headers":true,"max_payload":1048576,"jetstream":true,"client_id":5}'
