#!/usr/bin/env bash
# Puts the services' state folder (CSAT_STATE_DIR, default ./.state) on a journaled filesystem
# when it would otherwise sit on ext4 without a journal. Idempotent; the other scripts call it
# before they start a service.
#   scripts/statefs.sh ensure|status|unmount   (unmount: after the services are stopped)
#
# Why: without a journal, ext4 skips every free inode whose owner was deleted in the last ~35 s
# when it allocates a new one (recently_deleted() in fs/ext4/ialloc.c, reading an inode-table
# block for each). ClickHouse writes ~30 files per part and deletes them after each merge, so
# on such a filesystem its inserts spend most of their CPU in the kernel, more so the more it
# has recently deleted: measured here, 40,000 file creations and deletions took 20-33 CPU-s on
# the journal-less root filesystem, 3.7 s on a journaled ext4 image on the same disk, and
# `perf` put over half of ClickHouse's insert CPU in ext4_create. Servers normally run
# journaled ext4 or XFS; this makes the development and CI machines do the same.
#
# How: a sparse image file beside the state folder (CSAT_STATE_IMAGE, default <state>.img,
# CSAT_STATE_IMAGE_SIZE, default 64G: only written blocks take disk space), formatted ext4 with
# a journal and loop-mounted on the state folder. Needs root and a loop device; without them
# (or with CSAT_STATE_FS=plain) the folder stays as it is and a warning says why.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
state=${CSAT_STATE_DIR:-$here/.state}
image=${CSAT_STATE_IMAGE:-${state%/}.img}
size=${CSAT_STATE_IMAGE_SIZE:-64G}

log() { printf 'statefs: %s\n' "$*" >&2; }

# journalless prints nothing and succeeds when the filesystem holding $1 is ext4 without a
# journal (a journaled ext4 has a /proc/fs/jbd2/<device>-* entry).
journalless() {
	local src fstype dev
	read -r src fstype < <(findmnt -no SOURCE,FSTYPE -T "$1") || return 1
	[ "$fstype" = ext4 ] || return 1
	dev=$(basename "$src")
	! compgen -G "/proc/fs/jbd2/$dev-*" >/dev/null
}

ensure() {
	[ "${CSAT_STATE_FS:-auto}" = plain ] && return 0
	if mountpoint -q "$state" 2>/dev/null; then return 0; fi
	mkdir -p "$state"
	journalless "$state" || return 0
	if [ ! -f "$image" ] && [ -n "$(ls -A "$state" 2>/dev/null)" ]; then
		log "warning: $state sits on ext4 without a journal (slow file creation for ClickHouse) and is not empty;"
		log "  leaving it as it is. To move it: stop the services, move its content away, rerun, move it back."
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		log "warning: $state sits on ext4 without a journal; not root, so not mounting a journaled image"
		return 0
	fi
	if [ ! -f "$image" ]; then
		log "$state sits on ext4 without a journal: formatting $image ($size, sparse) as journaled ext4"
		truncate -s "$size" "$image"
		if ! mkfs.ext4 -q -F -L csat-state "$image"; then
			rm -f "$image"
			log "warning: mkfs.ext4 failed; $state stays on the journal-less filesystem"
			return 0
		fi
	fi
	if mount -o loop,noatime "$image" "$state"; then
		log "mounted $image on $state"
	else
		log "warning: could not loop-mount $image; $state stays on the journal-less filesystem"
	fi
}

status() {
	if mountpoint -q "$state" 2>/dev/null; then
		echo "statefs: $state is a mount point ($(findmnt -no SOURCE,FSTYPE -T "$state" | tr -s ' '))"
	elif journalless "$state" 2>/dev/null; then
		echo "statefs: $state is on ext4 without a journal"
	else
		echo "statefs: $state is on $(findmnt -no FSTYPE -T "$state" 2>/dev/null || echo '?')"
	fi
}

unmount() {
	if mountpoint -q "$state" 2>/dev/null; then umount "$state" && log "unmounted $state (the image $image stays)"; fi
}

case "${1:-}" in
ensure) ensure ;;
status) status ;;
unmount) unmount ;;
*) echo "usage: $0 ensure|status|unmount" >&2; exit 2 ;;
esac
