#!/bin/sh
# Privilege separation: each child runs as its own unprivileged user, in an
# empty chroot, with no capabilities, NO_NEW_PRIVS and a seccomp filter;
# netd holds nothing but its socket, ring, doorbells and channel.
. tests/lib/netns.sh

net_setup 1 1500
make_image "$WORK/img" 16
aoede_start 7 3 t0 "$WORK/img"

field() {	# PID NAME -> first value of NAME: in /proc/PID/status
	awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status"
}

check_child() {	# ROLE PID USER
	role=$1; pid=$2; user=$3
	want_uid=$(id -u "$user") || fail "no user $user"
	uid=$(field "$pid" Uid)
	[ "$uid" = "$want_uid" ] || fail "$role runs as uid $uid, want $user ($want_uid)"
	[ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$pid/status")" = \
	    "$want_uid$want_uid$want_uid$want_uid" ] || fail "$role: not every uid dropped"
	[ "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" = "$(id -g "$user")" ] ||
	    fail "$role: gid not dropped"
	[ "$(field "$pid" CapEff)" = 0000000000000000 ] || fail "$role has capabilities"
	[ "$(field "$pid" CapPrm)" = 0000000000000000 ] || fail "$role has permitted capabilities"
	[ "$(field "$pid" CapBnd)" = 0000000000000000 ] || fail "$role kept a bounding set"
	[ "$(field "$pid" NoNewPrivs)" = 1 ] || fail "$role: NoNewPrivs is not set"
	[ "$(field "$pid" Seccomp)" = 2 ] || fail "$role: no seccomp filter"
	[ "$(readlink "/proc/$pid/root")" = /run/aoede/empty ] ||
	    fail "$role is not chrooted to /run/aoede/empty"
	echo "$role (pid $pid): uid $uid, no capabilities, NoNewPrivs, seccomp, chroot: ok"
}

netd=$(child_pid netd 0) || fail "no netd"
blockd=$(child_pid blockd) || fail "no blockd"
check_child netd "$netd" aoede-netd
check_child blockd "$blockd" aoede-blockd

# netd's descriptors: stdio, channel, packet socket, ring memfd, two eventfd
# doorbells, the transmit-ring socket, libevent's epoll instance and its
# internal signal pipe — nothing else, and above all no file.
n_sock=0; n_memfd=0; n_eventfd=0
for fd in /proc/"$netd"/fd/*; do
	num=${fd##*/}
	target=$(readlink "$fd")
	case $num:$target in
	[012]:*) ;;
	*:socket:*) n_sock=$((n_sock + 1)) ;;
	*:/memfd:aoede-ring-t0*) n_memfd=$((n_memfd + 1)) ;;
	*:anon_inode:\[eventfd\]) n_eventfd=$((n_eventfd + 1)) ;;
	*:anon_inode:\[eventpoll\]) ;;
	*:pipe:*) ;;
	*) fail "netd holds an unexpected fd $num -> $target" ;;
	esac
done
[ "$n_sock" -eq 3 ] && [ "$n_memfd" -eq 1 ] && [ "$n_eventfd" -eq 2 ] ||
    fail "netd fds: $n_sock sockets, $n_memfd memfd, $n_eventfd eventfds"
echo "netd fds: channel + 2 packet sockets, ring memfd, 2 doorbells: ok"

# blockd: its image, but no network socket other than its channel
n_sock=0
for fd in /proc/"$blockd"/fd/*; do
	case $(readlink "$fd") in socket:*) n_sock=$((n_sock + 1)) ;; esac
done
[ "$n_sock" -eq 1 ] || fail "blockd holds $n_sock sockets, want only its channel"
readlink /proc/"$blockd"/fd/* | grep -q "$WORK/img" || fail "blockd does not hold the image"

# the netd user cannot open a packet socket of its own
if setpriv --reuid=aoede-netd --regid=aoede-netd --clear-groups --inh-caps=-all \
    python3 -c 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)' 2>/dev/null; then
	fail "user aoede-netd can open an AF_PACKET socket"
fi
echo "aoede-netd cannot open a packet socket: ok"

# the service still works with all that in place
ini timeout 5 aoeping -I 7 3 i0 >/dev/null || fail "aoeping"
aoede_stop
echo "privsep: all checks passed"
