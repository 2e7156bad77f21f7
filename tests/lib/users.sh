#!/bin/sh
# Create the unprivileged system users aoede-netd and aoede-blockd drop to,
# as units/aoede.sysusers describes them, when they do not exist yet.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
for u in aoede-netd aoede-blockd; do
	getent passwd "$u" >/dev/null && continue
	if [ "$(id -u)" -ne 0 ]; then
		echo "users: user $u is missing (run 'make users' as root)" >&2
		exit 1
	fi
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers "$here/units/aoede.sysusers" || true
	fi
	getent passwd "$u" >/dev/null && continue
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin --user-group "$u"
done
