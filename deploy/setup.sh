#!/usr/bin/env bash
# Installs what Sextant needs on a Debian machine with Node 20, as root:
# Debian's nats-server, nmap (nmap-os-db) and ieee-data (OUI registry), then npm ci.
# Also protoc (npm run proto), zmap (npm run bench:scan) and the daemons the
# end-to-end tests run inside network namespaces (openssh-server, nginx-light,
# snmpd, vsftpd, exim4); apt must not leave system instances of those running.
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(nats-server nmap ieee-data iproute2 protobuf-compiler zmap openssh-server nginx-light snmpd vsftpd exim4-daemon-light)
# Daemons the tests start on their own addresses; their packaged services are not wanted.
services_of_tests=(ssh nginx snmpd vsftpd exim4)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # No service starts while packages install (invoke-rc.d honours policy-rc.d).
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
  # Only services this run installed are disabled: an sshd the machine already had stays as it was.
  for s in "${services_of_tests[@]}"; do
    pkg=$s; [ "$s" = ssh ] && pkg=openssh-server; [ "$s" = nginx ] && pkg=nginx-light; [ "$s" = exim4 ] && pkg=exim4-daemon-light
    case " ${missing[*]} " in *" $pkg "*) ;; *) continue ;; esac
    if [ -d /run/systemd/system ]; then
      systemctl disable --now "$s" >/dev/null 2>&1 || true
    elif command -v update-rc.d >/dev/null; then
      update-rc.d "$s" disable >/dev/null 2>&1 || true
      service "$s" stop >/dev/null 2>&1 || true
    fi
  done
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
