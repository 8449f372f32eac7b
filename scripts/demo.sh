#!/bin/bash
# SPDX-License-Identifier: MIT
# Installs what scimd needs, builds it, and runs it in the foreground on 127.0.0.1 with a
# throwaway demo configuration, printing the SCIM base URL and a working access token.
set -euo pipefail

cd "$(dirname "$0")/.."
port=${SCIMD_DEMO_PORT:-8080}
state=${SCIMD_DEMO_DIR:-/var/tmp/scimd-demo}

bash scripts/deps.sh
[ -d build/demo ] || meson setup build/demo -Dbuildtype=debugoptimized -Dtests=disabled >/dev/null
ninja -C build/demo scimd/scimd scimd/scimctl nss_scim/libnss_scim.so.2 >/dev/null

mkdir -p "$state"
conf="$state/scimd.conf"
cat > "$conf" <<CONF
# Demo configuration written by scripts/demo.sh; see docs/ and scimd.conf(5).
[server]
listen = 127.0.0.1:$port
base_path = /scim/v2
[store]
database = $state/scimd.db
[cache]
path = $state/nss.cache
shadow_path = $state/shadow.cache
nonstandard_path_ok = true
[accounts]
login_name = localpart
CONF

token=$(build/demo/scimd/scimctl -c "$conf" token create "demo-$(date +%s)")
id=$(sed -n 's/^access_id: //p' <<<"$token")
key=$(sed -n 's/^access_key: //p' <<<"$token")
bearer=$(sed -n 's/^bearer: //p' <<<"$token")

cat <<INFO

  scimd demo
  SCIM base URL : http://127.0.0.1:$port/scim/v2
  Bearer token  : $bearer
  (Basic auth   : user $id, password $key)

  Try it:
    curl -H 'Authorization: Bearer $bearer' http://127.0.0.1:$port/scim/v2/Users
    LD_LIBRARY_PATH=build/demo/nss_scim SCIM_NSS_CACHE=$state/nss.cache getent -s scim passwd

  State lives in $state. Press Ctrl-C to stop.

INFO
exec build/demo/scimd/scimd -c "$conf"
