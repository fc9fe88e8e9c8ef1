#!/usr/bin/env bash
# Makes sure the services the integration tests talk to answer: NATS with
# JetStream on 127.0.0.1:4222 and PostgreSQL on 127.0.0.1:5432. This kind of
# machine starts them before each session; here they are started if not.
set -uo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! answers 4222; then
  echo "services: starting nats-server on 127.0.0.1:4222" >&2
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
if ! answers 5432 && ls /etc/postgresql >/dev/null 2>&1; then
  echo "services: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
for _ in $(seq 1 50); do answers 4222 && break; sleep 0.2; done
answers 4222 || { echo "services: NATS does not answer on 127.0.0.1:4222" >&2; exit 1; }
