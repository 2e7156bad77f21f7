#!/bin/sh
# Capture the AoE frames that the real tools send (aoetools 36, vblade 25)
# and store them, one raw Ethernet frame per file, in tests/fixtures/ (or $1).
#
# Two private network namespaces joined by a veth pair: the "target" side
# runs vblade, or a small padding responder where a tool needs an answer of
# at least 60 bytes (aoetools drop vblade's 32-byte replies on veth,
# PROTOCOL.md §3.4); the "initiator" side runs the tools and a capture on its
# veth end.  Everything it creates it removes again.  Needs root, ip(8),
# python3, vblade and aoetools.
set -eu

cd "$(dirname "$0")/../.."
out=${1:-tests/fixtures}
mkdir -p "$out"

for t in ip python3 vblade aoeping aoecfg aoe-sancheck unshare; do
	command -v "$t" >/dev/null || { echo "capture-fixtures: $t missing" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "capture-fixtures: needs root" >&2; exit 1; }

NS_T=aoedefx-t-$$
NS_I=aoedefx-i-$$
IF_T=fxt0
IF_I=fxi0
MAC_T=02:ae:de:00:00:01
MAC_I=02:ae:de:00:00:02
SHELF=7
SLOT=3
tmp=$(mktemp -d /tmp/aoedefx.XXXXXX)
pids=

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	ip netns del "$NS_T" 2>/dev/null || true
	ip netns del "$NS_I" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# --- the python helper: capture, respond, send ----------------------------
cat > "$tmp/aoefx.py" <<'EOF'
import os, select, signal, socket, struct, sys, time

ETH_P_ALL = 0x0003
ETH_P_AOE = 0x88A2

def mac_of(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))

def capture(iface, outdir, ready):
    """Save every AoE frame seen on iface as NNN-DIR-KIND-cCMD-LEN.bin."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    open(ready, "w").close()
    n = 0
    while True:
        data, addr = s.recvfrom(65536)
        if len(data) < 20 or data[12:14] != b"\x88\xa2":
            continue
        way = "out" if addr[2] == socket.PACKET_OUTGOING else "in"
        kind = "r" if data[14] & 0x08 else "q"
        name = "%03d-%s-%s-c%d-%d.bin" % (n, way, kind, data[19], len(data))
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        n += 1

def respond(iface, shelf, slot):
    """A stand-in target that pads: answers config queries and IDENTIFY."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_AOE))
    s.bind((iface, 0))
    me = mac_of(iface)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    while True:
        f = s.recv(65536)
        if len(f) < 24 or f[14] & 0x08:
            continue
        hdr = f[6:12] + me + f[12:14] + bytes([0x18, 0]) + \
            struct.pack(">HB", shelf, slot) + f[19:24]
        if f[19] == 1 and len(f) >= 32:
            arg = struct.pack(">HHBBH", 16, 0x4019, 2, 0x10 | (f[29] & 15), 0)
            r = hdr + arg
        elif f[19] == 0 and len(f) >= 36 and f[27] == 0xEC:
            r = hdr + f[24:26] + bytes([0, 0x40]) + f[28:36] + bytes(512)
        else:
            continue
        s.send(r.ljust(60, b"\0"))

def send(iface, path):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_AOE))
    s.bind((iface, 0))
    with open(path, "rb") as f:
        s.send(f.read())

cmd = sys.argv[1]
if cmd == "capture":
    capture(sys.argv[2], sys.argv[3], sys.argv[4])
elif cmd == "respond":
    respond(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif cmd == "send":
    send(sys.argv[2], sys.argv[3])
EOF

# --- namespaces ---------------------------------------------------------
ip netns add "$NS_T"
ip netns add "$NS_I"
ip link add "$IF_T" netns "$NS_T" type veth peer name "$IF_I" netns "$NS_I"
ip -n "$NS_T" link set "$IF_T" address "$MAC_T" up
ip -n "$NS_I" link set "$IF_I" address "$MAC_I" up
ip -n "$NS_T" link set lo up
ip -n "$NS_I" link set lo up
sleep 1		# let the links come up before the first frame

in_i() { ip netns exec "$NS_I" "$@"; }

# start_bg NS CMD...: run CMD in namespace NS in the background; its pid is
# left in $bg (ip netns exec and unshare exec, so it is CMD's own pid)
bg=
start_bg() {
	ns=$1; shift
	ip netns exec "$ns" "$@" &
	bg=$!
	pids="$pids $bg"
}

# stop_bg PID: stop one process this script started
stop_bg() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# capture_start NAME: start capturing on the initiator side into $tmp/NAME
capture_start() {
	cdir=$tmp/$1
	mkdir -p "$cdir"
	rm -f "$tmp/ready"
	start_bg "$NS_I" python3 "$tmp/aoefx.py" capture "$IF_I" "$cdir" "$tmp/ready"
	cap=$bg
	i=0
	while [ ! -e "$tmp/ready" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "capture did not start" >&2; exit 1; }
		sleep 0.1
	done
}

capture_stop() {
	sleep 0.5
	stop_bg "$cap"
}

# pick NAME PATTERN N FIXTURE: the Nth captured frame matching PATTERN
pick() {
	f=
	k=0
	for g in "$tmp/$1"/*.bin; do	# the glob sorts by sequence number
		printf '%s\n' "${g##*/}" | grep -Eq -- "$2" || continue
		k=$((k + 1))
		[ "$k" -eq "$3" ] && { f=${g##*/}; break; }
	done
	[ -n "$f" ] || { echo "capture-fixtures: no frame $2 #$3 in $1:" >&2; ls "$tmp/$1" >&2; exit 1; }
	cp "$tmp/$1/$f" "$out/$4"
	echo "  $4 ($(wc -c < "$out/$4") bytes)"
}

tool() { in_i timeout 10 "$@" >/dev/null 2>&1 || true; }

# --- phase 1: a padding responder, so the tools get as far as IDENTIFY ----
start_bg "$NS_T" python3 "$tmp/aoefx.py" respond "$IF_T" $SHELF $SLOT
resp=$bg
sleep 0.5

capture_start aoeping
tool aoeping -I -s 2 $SHELF $SLOT "$IF_I"
capture_stop
pick aoeping '-out-q-c1-' 1 aoeping-cfg-query.bin
pick aoeping '-out-q-c0-' 1 aoeping-identify.bin

capture_start sancheck
tool aoe-sancheck
capture_stop
pick sancheck '-out-q-c1-' 1 aoe-sancheck-cfg-query.bin
pick sancheck '-out-q-c0-1060\.bin' 1 aoe-sancheck-identify-1024.bin
pick sancheck '-out-q-c0-548\.bin' 1 aoe-sancheck-identify-512.bin

stop_bg "$resp"

# --- phase 2: vblade (32-byte replies, so the tools see no answer) --------
truncate -s 1M "$tmp/img"
# a private UTS namespace gives vblade's IDENTIFY serial a fixed host name
capture_start vblade
start_bg "$NS_T" unshare --uts sh -c \
    "hostname aoede-fx && exec vblade $SHELF $SLOT $IF_T $tmp/img"
vb=$bg
sleep 1
capture_stop
pick vblade '-in-r-c1-' 1 vblade-cfg-announce.bin

capture_start read
tool aoecfg -c read -t 1 $SHELF $SLOT "$IF_I"
capture_stop
pick read '-out-q-c1-' 1 aoecfg-read.bin
pick read '-in-r-c1-' 1 vblade-cfg-reply.bin

capture_start test
tool aoecfg -c test -s aoede-fixture -t 1 $SHELF $SLOT "$IF_I"
capture_stop
pick test '-out-q-c1-' 1 aoecfg-test.bin

capture_start prefix
tool aoecfg -c prefix -s aoede -t 1 $SHELF $SLOT "$IF_I"
capture_stop
pick prefix '-out-q-c1-' 1 aoecfg-prefix.bin

capture_start set
tool aoecfg -c set -s aoede-fixture -t 1 $SHELF $SLOT "$IF_I"
capture_stop
pick set '-out-q-c1-' 1 aoecfg-set.bin
pick set '-in-r-c1-' 1 vblade-cfg-reply-set.bin

capture_start fset
tool aoecfg -c fset -s aoede-forced -t 1 $SHELF $SLOT "$IF_I"
capture_stop
pick fset '-out-q-c1-' 1 aoecfg-fset.bin

# vblade's IDENTIFY answer, to aoeping's own request replayed
capture_start identify
in_i python3 "$tmp/aoefx.py" send "$IF_I" "$out/aoeping-identify.bin"
capture_stop
pick identify '-in-r-c0-' 1 vblade-identify-reply.bin

stop_bg "$vb"
echo "capture-fixtures: done, frames in $out"
