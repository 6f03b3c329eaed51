#!/bin/bash
#
# image/build.sh: builds the keyrite appliance, a bootable ISO.
#
#   build/keyrite-<version>.iso       BIOS and UEFI, CD/DVD and USB stick
#   build/keyrite-<version>.manifest  what went into it (docs/appliance.md)
#
# Debian bookworm from the archive (debootstrap --variant=minbase, then
# apt-get --no-install-recommends); keyrite built from this tree and
# installed with `make install PREFIX=/usr`; kernel modules pruned to
# image/modules.allow; the root filesystem a squashfs that the initramfs
# loop-mounts read-only after checking its SHA-256; GRUB images made with
# grub-mkimage and the ISO assembled with xorriso, so that nothing reads
# the clock: every timestamp is SOURCE_DATE_EPOCH, the commit time of the
# tree.  Two runs on the same tree give byte-identical ISOs for as long as
# the archive serves the same packages (the manifest lists them).
#
# Run as root on Debian 12, from the top of the tree (make image does).
# Environment: KR_IMAGE_MIRROR, KR_IMAGE_SECURITY_MIRROR (archives),
# KR_IMAGE_CACHE (where .deb files are kept between builds; they do not
# change the result), BUILD (output directory, default build), DEB_PKGS
# (the build dependencies whose versions the manifest records).

set -euo pipefail
umask 022
export LC_ALL=C.UTF-8 TZ=UTC

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mkdir -p "${BUILD:-$TOP/build}" && cd "${BUILD:-$TOP/build}" && pwd)
WORK=$OUT/image
ROOT=$WORK/rootfs
ISOTREE=$WORK/iso
CACHE=${KR_IMAGE_CACHE:-$OUT/image-cache}
MIRROR=${KR_IMAGE_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${KR_IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
START=$(date +%s)

say() { printf 'image: [%4ds] %s\n' $(($(date +%s) - START)) "$*"; }
die() { printf 'image: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and mount need it)"
grep -q '^VERSION_ID="12"' /etc/os-release 2>/dev/null ||
	die "build on Debian 12: keyrite is compiled on the host and must" \
	    "link against bookworm's libraries"

# --- the tree's identity ----------------------------------------------------

identity() {
	VERSION=$(sed -n 's/^#define KEYRITE_VERSION "\(.*\)"$/\1/p' \
	    "$TOP/src/base/version.h")
	[ -n "$VERSION" ] || die "no KEYRITE_VERSION in src/base/version.h"
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		COMMIT=$(git -C "$TOP" rev-parse HEAD)
		: "${SOURCE_DATE_EPOCH:=$(git -C "$TOP" log -1 --format=%ct)}"
		# The tree as built, untracked files included: equal to the
		# commit's tree when the tree is clean.
		local idx
		idx=$(mktemp)
		(cd "$TOP" && cp "$(git rev-parse --git-path index)" "$idx")
		TREE=$(cd "$TOP" && GIT_INDEX_FILE=$idx git add -A . &&
		    GIT_INDEX_FILE=$idx git write-tree)
		rm -f "$idx"
		if [ "$TREE" = "$(git -C "$TOP" rev-parse 'HEAD^{tree}')" ]; then
			DIRTY=no
		else
			DIRTY=yes
		fi
	else
		[ -n "${SOURCE_DATE_EPOCH:-}" ] ||
			die "not a git checkout: set SOURCE_DATE_EPOCH"
		COMMIT=unknown TREE=unknown DIRTY=yes
	fi
	export SOURCE_DATE_EPOCH
	[ "$SOURCE_DATE_EPOCH" -gt 315532800 ] ||
		die "SOURCE_DATE_EPOCH must be after 1980 (EFI, FAT)"
	IMAGE_VERSION=$VERSION
	[ "$DIRTY" = no ] || IMAGE_VERSION=$VERSION-dirty
	# ISO 9660 volume id, also how the initramfs finds the medium.
	LABEL=KEYRITE_$(printf '%s' "$VERSION" | tr -c 'A-Za-z0-9' '_' |
	    tr a-z A-Z)
	LABEL=${LABEL:0:32}
	ISO=$OUT/keyrite-$IMAGE_VERSION.iso
	MANIFEST=$OUT/keyrite-$IMAGE_VERSION.manifest
	say "keyrite $IMAGE_VERSION, commit $COMMIT, tree $TREE," \
	    "SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH ($(date -u -d \
	    "@$SOURCE_DATE_EPOCH" +%FT%TZ))"
}

# --- the chroot -------------------------------------------------------------

MOUNTS=()

mount_bind() {
	mkdir -p "$2"
	mount --bind "$1" "$2"
	MOUNTS+=("$2")
}

umount_all() {
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[$i]}" 2>/dev/null ||
			umount -l "${MOUNTS[$i]}" 2>/dev/null || true
	done
	MOUNTS=()
}

# Whatever an interrupted earlier build left mounted under WORK.
umount_stale() {
	local m
	awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts |
	    sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}

in_root() {
	chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
	    SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" "$@"
}

trap umount_all EXIT
trap 'exit 130' INT TERM

bootstrap() {
	say "debootstrap $SUITE (minbase) from $MIRROR"
	mkdir -p "$CACHE/debootstrap" "$CACHE/apt/partial"
	debootstrap --variant=minbase --components=main \
	    --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
	    --cache-dir="$CACHE/debootstrap" \
	    "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
		{ tail -20 "$WORK/debootstrap.log" >&2;
		  die "debootstrap failed; the log is $WORK/debootstrap.log"; }
	cat >"$ROOT/etc/apt/sources.list" <<-EOF
	deb $MIRROR $SUITE main
	deb $MIRROR $SUITE-updates main
	deb $SECMIRROR $SUITE-security main
	EOF
	bootstrap_mounts
}

bootstrap_mounts() {
	# Services must not start inside the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
	chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
	mkdir -p "$CACHE/debootstrap" "$CACHE/apt/partial"
	mount_bind /dev "$ROOT/dev"
	mount_bind /dev/pts "$ROOT/dev/pts"
	mkdir -p "$ROOT/proc" "$ROOT/sys"
	mount -t proc proc "$ROOT/proc" && MOUNTS+=("$ROOT/proc")
	mount -t sysfs sysfs "$ROOT/sys" && MOUNTS+=("$ROOT/sys")
	mount_bind "$CACHE/apt" "$ROOT/var/cache/apt/archives"
}

# The libraries keyrite and its paper helper (keyrite-paper: cairo,
# poppler, zbar, libjpeg, libcups) link against, as Debian packages.
keyrite_runtime_packages() {
	local lib path
	objdump -p "$KR_BUILD/keyrite" "$KR_BUILD/keyrite-paper" |
	    awk '$1 == "NEEDED" { print $2 }' | sort -u |
	    while read -r lib; do
		path=$(ldconfig -p | awk -v l="$lib" \
		    '$1 == l && /x86-64/ { print $NF; exit }')
		[ -n "$path" ] || die "keyrite needs $lib, not found on this host"
		dpkg -S "$(readlink -f "$path")" 2>/dev/null ||
			dpkg -S "$path"
	    done | sed 's/:.*//; s/:amd64$//' | sort -u
}

# The tree as it is now (tracked and untracked files, not ignored ones),
# so that editing it while the image builds changes nothing.
snapshot_source() {
	SRC=$WORK/src
	IMG=$SRC/image
	rm -rf "$SRC"
	mkdir -p "$SRC"
	if [ "$COMMIT" != unknown ]; then
		(cd "$TOP" && git ls-files -z -c -o --exclude-standard |
		    xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		    tar --null -T - -cf -) | tar -C "$SRC" -xf -
	else
		(cd "$TOP" && tar --exclude=./build --exclude='./build-*' -cf - .) |
		    tar -C "$SRC" -xf -
	fi
}

build_keyrite() {
	say "building keyrite from $TOP (a copy in $SRC)"
	KR_BUILD=$WORK/keyrite-build
	# Paths of this checkout do not go into the binary.
	make -C "$SRC" --no-print-directory -j2 BUILD="$KR_BUILD" \
	    CFLAGS="-ffile-prefix-map=$SRC=." "$KR_BUILD/keyrite" \
	    "$KR_BUILD/keyrite-paper" >"$WORK/keyrite-build.log" 2>&1 ||
		{ tail -30 "$WORK/keyrite-build.log" >&2;
		  die "keyrite did not build; the log is $WORK/keyrite-build.log"; }
}

install_packages() {
	local pkgs
	pkgs=$( (sed 's/#.*//' "$IMG/packages.list"; keyrite_runtime_packages) |
	    awk 'NF { print $1 }' | sort -u)
	say "apt-get install: $(echo "$pkgs" | wc -l) packages named, with" \
	    "their dependencies"
	in_root apt-get -qq update
	# Kernel and initramfs-tools first, without an initramfs: it is made
	# once the modules are pruned and the boot script is in place.
	in_root apt-get -y -qq --no-install-recommends install initramfs-tools \
	    >>"$WORK/apt.log"
	sed -i 's/^update_initramfs=.*/update_initramfs=no/' \
	    "$ROOT/etc/initramfs-tools/update-initramfs.conf"
	in_root apt-get -y -qq --no-install-recommends dist-upgrade \
	    >>"$WORK/apt.log"
	# shellcheck disable=SC2086
	in_root apt-get -y -qq --no-install-recommends install $pkgs \
	    >>"$WORK/apt.log" 2>&1 ||
		{ tail -30 "$WORK/apt.log" >&2; die "apt-get install failed"; }
	KVER=$(cd "$ROOT/lib/modules" && ls)
	[ "$(echo "$KVER" | wc -w)" = 1 ] || die "not one kernel: $KVER"
}

install_keyrite() {
	say "make install PREFIX=/usr into the image"
	make -C "$SRC" --no-print-directory BUILD="$KR_BUILD" \
	    CFLAGS="-ffile-prefix-map=$SRC=." PREFIX=/usr DESTDIR="$ROOT" \
	    install >>"$WORK/keyrite-build.log" 2>&1 ||
		die "make install failed; the log is $WORK/keyrite-build.log"
	strip --strip-unneeded "$ROOT/usr/bin/keyrite" \
	    "$ROOT/usr/lib/keyrite/keyrite-paper"
	# Scripts, policy and the reviewed manifest: read-only for everyone
	# (the squashfs is read-only anyway; the modes say so on the page).
	find "$ROOT/usr/share/keyrite" -type d -exec chmod 0555 {} +
	find "$ROOT/usr/share/keyrite" -type f -exec chmod 0444 {} +
}

# --- the system -------------------------------------------------------------

configure() {
	say "configuring: units, read-only root, no consoles with a shell"
	# Owner root, modes 0644 or 0755 whatever the checkout's umask was.
	(cd "$IMG/rootfs" && find . ! -type d) | while read -r f; do
		mkdir -p "$ROOT/$(dirname "$f")"
		if [ -x "$IMG/rootfs/$f" ]; then
			install -o 0 -g 0 -m 0755 "$IMG/rootfs/$f" "$ROOT/$f"
		else
			install -o 0 -g 0 -m 0644 "$IMG/rootfs/$f" "$ROOT/$f"
		fi
	done
	echo keyrite >"$ROOT/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tkeyrite\n' >"$ROOT/etc/hosts"
	: >"$ROOT/etc/machine-id"
	rm -f "$ROOT/var/lib/dbus/machine-id"
	mkdir -p "$ROOT/media/keyrite"
	# Every tmpfs of fstab needs its mount point on the read-only root
	# (/var/ipp-usb is made by ipp-usb at run time, not by its package):
	# a missing one fails local-fs.target.
	awk '$1 !~ /^#/ && NF >= 3 && $3 == "tmpfs" { print $2 }' \
	    "$ROOT/etc/fstab" | while read -r f; do
		mkdir -p "$ROOT$f"
	done
	# cups-filters loads parallel-port modules the image does not have.
	rm -f "$ROOT/etc/modules-load.d/cups-filters.conf"
	# No login anywhere: gettys, rescue and debug shells are masked, and
	# root has no password (locked: "*").
	local u
	for u in getty@.service serial-getty@.service autovt@.service \
	    console-getty.service container-getty@.service \
	    debug-shell.service emergency.service rescue.service \
	    ctrl-alt-del.target systemd-firstboot.service \
	    systemd-random-seed.service systemd-backlight@.service \
	    systemd-networkd.service systemd-networkd.socket \
	    systemd-networkd-wait-online.service \
	    avahi-daemon.service avahi-daemon.socket \
	    apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
	    e2scrub_all.timer e2scrub_reap.service fstrim.timer \
	    systemd-pstore.service systemd-logind.service \
	    systemd-update-utmp.service systemd-update-utmp-runlevel.service; do
		ln -sfn /dev/null "$ROOT/etc/systemd/system/$u"
	done
	in_root usermod -p '*' root
	in_root systemctl enable keyrite@tty1.service keyrite@ttyS0.service \
	    keyrite-rehearsal@tty1.service keyrite-rehearsal@ttyS0.service \
	    >/dev/null 2>&1 ||
		die "systemctl enable failed"
	in_root systemctl set-default multi-user.target >/dev/null 2>&1
	# CUPS starts when something prints (cups.socket), not at boot.
	in_root systemctl disable cups.service cups.path >/dev/null 2>&1 || true
	# CUPS keeps its configuration in /etc/cups and writes it when a
	# printer is added: the packaged one is copied to /run at boot.
	if [ -d "$ROOT/etc/cups" ] && [ ! -L "$ROOT/etc/cups" ]; then
		sed -i -e 's/^Listen localhost:631/# &/' \
		    -e 's/^Port 631/# &/' -e 's/^Browsing .*/Browsing No/' \
		    "$ROOT/etc/cups/cupsd.conf"
		mv "$ROOT/etc/cups" "$ROOT/usr/lib/keyrite-image/etc-cups"
		ln -s /run/keyrite/etc-cups "$ROOT/etc/cups"
	fi
	if [ -f "$ROOT/etc/ipp-usb/ipp-usb.conf" ]; then
		sed -i -e 's/^\([[:space:]]*interface[[:space:]]*=\).*/\1 loopback/' \
		    -e 's/^\([[:space:]]*dns-sd[[:space:]]*=\).*/\1 disable/' \
		    "$ROOT/etc/ipp-usb/ipp-usb.conf"
	fi
}

# Keeps the modules image/modules.allow names and those they depend on.
prune_modules() {
	local dir=$ROOT/lib/modules/$KVER allow
	allow=$(sed 's/#.*//' "$IMG/modules.allow" | awk 'NF { print $1 }')
	(cd "$dir" && find kernel -name '*.ko*' | sort) >"$WORK/modules.all"
	awk -v allow="$allow" -v depfile="$dir/modules.dep" '
	BEGIN {
		n = split(allow, a, "\n")
		while ((getline line < depfile) > 0) {
			split(line, f, ":")
			deps[f[1]] = f[2]
		}
	}
	function keep(m,   d, i, k) {
		if (m in kept)
			return
		kept[m] = 1
		k = split(deps[m], d, " ")
		for (i = 1; i <= k; i++)
			keep(d[i])
	}
	{
		m = $0
		base = m
		sub(/^kernel\//, "", base)
		sub(/\.ko(\.[a-z]+)?$/, "", base)
		for (i = 1; i <= n; i++) {
			if ((a[i] ~ /\/$/ && index(base, a[i]) == 1) ||
			    base == a[i]) {
				keep(m)
				break
			}
		}
	}
	END { for (m in kept) print m }' "$WORK/modules.all" |
	    sort >"$WORK/modules.kept"
	comm -23 "$WORK/modules.all" "$WORK/modules.kept" |
	    (cd "$dir" && xargs -r rm -f)
	find "$dir/kernel" -depth -type d -empty -delete
	rm -rf "$ROOT/lib/firmware"
	in_root depmod -a "$KVER"
	say "kernel modules: kept $(wc -l <"$WORK/modules.kept") of" \
	    "$(wc -l <"$WORK/modules.all") ($(du -sh "$dir" | cut -f1))"
}

make_initramfs() {
	say "initramfs ($KVER)"
	in_root mkinitramfs -o "/boot/initrd.img-$KVER" "$KVER" \
	    >"$WORK/initramfs.log" 2>&1 ||
		{ tail -20 "$WORK/initramfs.log" >&2; die "mkinitramfs failed"; }
}

identity_file() {
	mkdir -p "$ROOT/usr/lib/keyrite-image"
	cat >"$ROOT/usr/lib/keyrite-image/image-id" <<-EOF
	name keyrite
	version $IMAGE_VERSION
	commit $COMMIT
	tree $TREE
	dirty $DIRTY
	source-date-epoch $SOURCE_DATE_EPOCH
	debian $SUITE $KVER
	EOF
}

# Every package with its version and the SHA-256 of its .deb, from the
# archive's index the chroot's apt used (apt checked each .deb against it).
package_list() {
	in_root dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' |
	    sort >"$WORK/packages.installed"
	# shellcheck disable=SC2046
	in_root apt-cache show --no-all-versions $(awk '{ print $1 "=" $2 }' \
	    "$WORK/packages.installed") 2>/dev/null | awk '
	/^Package: / { p = $2 } /^Version: / { v = $2 }
	/^SHA256: / { if (!((p, v) in seen)) { seen[p, v] = 1; print p, v, $2 } }
	' | sort >"$WORK/packages.sha256"
	awk 'NR == FNR { h[$1 " " $2] = $3; next }
	{
		k = $1 " " $2
		if (!(k in h)) { print "no hash for " k > "/dev/stderr"; bad = 1 }
		print "package", $1, $2, $3, h[k]
	} END { exit bad }' "$WORK/packages.sha256" "$WORK/packages.installed" \
	    >"$WORK/packages.manifest" ||
		die "a package's SHA-256 is not in the archive index"
	sed -n 's/^Date: //p' "$ROOT"/var/lib/apt/lists/*_dists_"${SUITE}"_InRelease \
	    | head -1 >"$WORK/archive-date"
}

# Documentation, locales, caches and logs go; copyright files stay.
strip_root() {
	say "stripping docs, locales, caches and logs"
	rm -f "$ROOT/usr/sbin/policy-rc.d"
	find "$ROOT/usr/share/doc" -mindepth 1 ! -name copyright ! -type d \
	    -delete 2>/dev/null || true
	find "$ROOT/usr/share/doc" -mindepth 1 -depth -type d -empty -delete
	rm -rf "$ROOT"/usr/share/man "$ROOT"/usr/share/info \
	    "$ROOT"/usr/share/locale "$ROOT"/usr/share/lintian \
	    "$ROOT"/usr/share/linda "$ROOT"/usr/share/bug \
	    "$ROOT"/usr/share/doc-base "$ROOT"/usr/share/bash-completion \
	    "$ROOT"/usr/share/zsh "$ROOT"/usr/share/cups/doc-root \
	    "$ROOT"/usr/share/cups/locale "$ROOT"/usr/share/gtk-doc
	rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin \
	    "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/lib/dpkg/*-old \
	    "$ROOT"/var/cache/ldconfig/aux-cache "$ROOT"/var/cache/man \
	    "$ROOT"/var/cache/fontconfig/* "$ROOT"/var/log/* \
	    "$ROOT"/var/lib/systemd/catalog/database \
	    "$ROOT"/var/lib/systemd/deb-systemd-* \
	    "$ROOT"/etc/ssl/certs/java "$ROOT"/root/.bash_history
	rm -f "$ROOT"/vmlinuz* "$ROOT"/initrd.img* "$ROOT"/boot/*.old
	# ssl-cert's postinst made a "snakeoil" key pair: random, and a
	# private key nobody needs (CUPS listens on a local socket only).
	rm -f "$ROOT"/etc/ssl/private/ssl-cert-snakeoil.key \
	    "$ROOT"/etc/ssl/certs/ssl-cert-snakeoil.pem
	find "$ROOT/etc/ssl/certs" -xtype l -delete
	find "$ROOT/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -delete \
	    2>/dev/null || true
}

# --- the medium -------------------------------------------------------------

squashfs() {
	say "mksquashfs (zstd)"
	mkdir -p "$ISOTREE/keyrite" "$ISOTREE/boot/grub/i386-pc"
	cp "$ROOT/boot/vmlinuz-$KVER" "$ISOTREE/keyrite/vmlinuz"
	cp "$ROOT/boot/initrd.img-$KVER" "$ISOTREE/keyrite/initrd.img"
	rm -f "$ROOT"/boot/vmlinuz-* "$ROOT"/boot/initrd.img-* \
	    "$ROOT"/boot/System.map-* "$ROOT"/boot/config-*
	cp "$ROOT/usr/lib/keyrite-image/image-id" "$ISOTREE/keyrite/image-id"
	# zstd in 128 KiB blocks, not xz in 1 MiB ones: every page a program
	# faults in from the root costs the decompression of its whole
	# block, and zstd decompresses several times faster than xz.  Under
	# emulation (image-test's TCG, docs/appliance.md "Boot time") boot
	# to Home fell by about a third with this, MCL_ONFAULT and the paper
	# helper; the root grows from 64 to 79 MB.
	mksquashfs "$ROOT" "$ISOTREE/keyrite/root.sfs" -noappend -no-progress \
	    -comp zstd -Xcompression-level 19 -b 128K -processors 2 \
	    -wildcards -e 'proc/*' 'sys/*' 'dev/*' 'run/*' 'tmp/*' \
	    >"$WORK/mksquashfs.log"
	ROOT_SHA=$(sha256sum "$ISOTREE/keyrite/root.sfs" | cut -d' ' -f1)
}

grub_images() {
	say "GRUB (grub-mkimage) for BIOS and UEFI"
	local cmdline g=$WORK/grub efikb
	mkdir -p "$g"
	cmdline="boot=keyrite keyrite.label=$LABEL keyrite.root=$ROOT_SHA"
	cmdline="$cmdline quiet loglevel=3 panic=0 lockdown=confidentiality"
	cmdline="$cmdline console=ttyS0,115200n8 console=tty1"
	sed -e "s|@LABEL@|$LABEL|g" -e "s|@VERSION@|$IMAGE_VERSION|g" \
	    -e "s|@CMDLINE@|$cmdline|g" "$IMG/grub/grub.cfg.in" \
	    >"$ISOTREE/boot/grub/grub.cfg"
	# early.cfg is embedded in both images (grub-mkimage -c): it finds
	# the medium by its volume label and reads the menu.  (GRUB does not
	# take comments there.)
	sed -e "s|@LABEL@|$LABEL|g" "$IMG/grub/early.cfg.in" >"$g/early.cfg"
	grub-mkimage -O i386-pc -o "$g/core.img" -p /boot/grub \
	    -c "$g/early.cfg" biosdisk iso9660 part_msdos part_gpt \
	    search search_label configfile normal linux serial terminal \
	    echo test
	cat /usr/lib/grub/i386-pc/cdboot.img "$g/core.img" \
	    >"$ISOTREE/boot/grub/i386-pc/eltorito.img"
	grub-mkimage -O x86_64-efi -o "$g/BOOTX64.EFI" -p /boot/grub \
	    -c "$g/early.cfg" fat iso9660 part_gpt part_msdos search \
	    search_label configfile normal linux serial terminal echo test \
	    efi_gop efi_uga
	# The EFI system partition image: fixed volume id, invariant fields.
	efikb=$(( ($(stat -c %s "$g/BOOTX64.EFI") / 1024 + 512 + 63) / 64 * 64 ))
	rm -f "$ISOTREE/boot/grub/efi.img"
	mkfs.vfat --invariant -i 4b525954 -n KEYRITE_EFI \
	    -C "$ISOTREE/boot/grub/efi.img" "$efikb" >/dev/null
	touch -d "@$SOURCE_DATE_EPOCH" "$g/BOOTX64.EFI"
	mmd -i "$ISOTREE/boot/grub/efi.img" ::/EFI ::/EFI/BOOT
	mcopy -m -i "$ISOTREE/boot/grub/efi.img" "$g/BOOTX64.EFI" \
	    ::/EFI/BOOT/BOOTX64.EFI
}

make_iso() {
	say "xorriso"
	find "$ISOTREE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	rm -f "$ISO"
	xorriso -as mkisofs -o "$ISO.tmp" -V "$LABEL" -r \
	    --modification-date="$(date -u -d "@$SOURCE_DATE_EPOCH" \
	    +%Y%m%d%H%M%S00)" \
	    --grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img \
	    -b boot/grub/i386-pc/eltorito.img -no-emul-boot \
	    -boot-load-size 4 -boot-info-table --grub2-boot-info \
	    --efi-boot boot/grub/efi.img -efi-boot-part --efi-boot-image \
	    --protective-msdos-label \
	    --sort-weight 0 / --sort-weight 1 /boot \
	    "$ISOTREE" >"$WORK/xorriso.log" 2>&1 ||
		{ tail -20 "$WORK/xorriso.log" >&2; die "xorriso failed"; }
	mv "$ISO.tmp" "$ISO"
}

manifest() {
	local f
	{
		echo "keyrite-image-manifest 1"
		echo "image keyrite-$IMAGE_VERSION.iso"
		echo "version $IMAGE_VERSION"
		echo "commit $COMMIT"
		echo "tree $TREE"
		echo "dirty $DIRTY"
		echo "source-date-epoch $SOURCE_DATE_EPOCH"
		echo "label $LABEL"
		echo "kernel $KVER"
		echo "archive $MIRROR $SUITE $SUITE-updates"
		echo "archive $SECMIRROR $SUITE-security"
		echo "archive-date $(cat "$WORK/archive-date")"
		echo "build-host $(. /etc/os-release && echo "$ID $(cat \
		    /etc/debian_version)")"
		# The compiler and headers keyrite was built with, on this host.
		for f in gcc-12 binutils libc6-dev make $(printf '%s\n' \
		    ${DEB_PKGS:-} | grep -- '-dev$'); do
			dpkg-query -W -f 'build-package ${Package} ${Version}\n' \
			    "$f" 2>/dev/null || true
		done | sort -u
		for f in keyrite-$IMAGE_VERSION.iso keyrite/vmlinuz \
		    keyrite/initrd.img keyrite/root.sfs; do
			case $f in
			*.iso) set -- "$ISO" ;;
			*) set -- "$ISOTREE/$f" ;;
			esac
			echo "file $(sha256sum "$1" | cut -d' ' -f1)" \
			    "$(stat -c %s "$1") $f"
		done
		cat "$WORK/packages.manifest"
		sed 's/^/module /' "$WORK/modules.kept"
	} >"$MANIFEST.tmp"
	mv "$MANIFEST.tmp" "$MANIFEST"
}

# --- main -------------------------------------------------------------------

identity
umount_stale
if [ "${KR_IMAGE_REUSE:-0}" = 1 ] && [ -d "$WORK/rootfs.packages" ]; then
	# For working on image/ only: starts from the packages installed by
	# the last full build.  A release is always built from scratch.
	say "KR_IMAGE_REUSE=1: reusing $WORK/rootfs.packages"
	rm -rf "$ROOT" "$ISOTREE" "$WORK/grub" "$WORK/keyrite-build"
	cp -a "$WORK/rootfs.packages" "$ROOT"
	snapshot_source
	build_keyrite
	bootstrap_mounts
	KVER=$(cd "$ROOT/lib/modules" && ls)
else
	rm -rf "$WORK"
	mkdir -p "$WORK"
	snapshot_source
	build_keyrite
	bootstrap
	install_packages
	if [ "${KR_IMAGE_REUSE:-0}" = 1 ]; then
		umount_all
		cp -a "$ROOT" "$WORK/rootfs.packages"
		bootstrap_mounts
	fi
fi
install_keyrite
configure
prune_modules
make_initramfs
identity_file
package_list
umount_all
strip_root
squashfs
grub_images
make_iso
manifest
say "$ISO: $(stat -c %s "$ISO") bytes, sha256 $(sha256sum "$ISO" |
    cut -d' ' -f1)"
say "$MANIFEST"
say "done in $(($(date +%s) - START)) s"
