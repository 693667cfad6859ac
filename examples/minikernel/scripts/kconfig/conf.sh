#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A small stand-in for the kernel's scripts/kconfig/conf (a host C program).
# It does not solve Kconfig dependencies: the defconfig of this tree already
# lists every symbol, as a full .config does.  What it writes is what conf
# writes, in the same formats:
#
#   conf.sh --defconfig=<file> Kconfig
#       .config := <file>, with the architecture symbol (64BIT) set from
#       ARCH32, as the kernel's Kconfig sets it from ARCH.
#
#   conf.sh --merge=<fragment> Kconfig
#       .config (created from the defconfig if missing) with the symbols the
#       fragment sets replaced or appended, as merge_config.sh -m does; the
#       fragment lists every symbol that changes, derived ones included.
#
#   conf.sh --yes2modconfig Kconfig
#       .config (created from the defconfig if missing) with every tristate
#       at y set to m where Kconfig allows it, as conf --yes2modconfig does
#       (make yes2modconfig, Linux >= 5.8): not without MODULES=y, not when
#       a symbol at y selects it; then olddefconfig's logic for what follows
#       from it, as far as this tree needs: a symbol that "depends on X=y"
#       goes when X became m.
#
#   conf.sh --syncconfig Kconfig
#       .config (created from the defconfig if missing, 64BIT adjusted),
#       include/config/auto.conf          CONFIG_X=y / =m / ="str" / =123
#       include/generated/autoconf.h      #define CONFIG_X 1 / CONFIG_X_MODULE 1
#       include/config/auto.conf.cmd      what makes the build re-sync
#       include/config/<SYMBOL>           touched when <SYMBOL> changed (fixdep
#                                         makes objects depend on these files)
#
# Environment: srctree, SRCARCH, KCONFIG_CONFIG (.config), ARCH32,
#              KERNELVERSION, KBUILD_DEFCONFIG.

set -e

# make -s: say nothing (errors still go to stderr)
[ "$quiet" = silent_ ] && exec >/dev/null

: "${srctree:=.}"
: "${SRCARCH:=mini}"
: "${KCONFIG_CONFIG:=.config}"
: "${KBUILD_DEFCONFIG:=mini_defconfig}"

mode=
defconfig=
case "$1" in
--syncconfig) mode=sync ;;
--defconfig=*) mode=defconfig; defconfig=${1#--defconfig=} ;;
--merge=*) mode=merge; fragment=${1#--merge=} ;;
--yes2modconfig) mode=yes2mod ;;
*) echo "usage: conf.sh --syncconfig|--defconfig=<file>|--merge=<fragment>|--yes2modconfig Kconfig" >&2; exit 1 ;;
esac

case "$ARCH32" in
1|y|yes) bits64='# CONFIG_64BIT is not set' ;;
*) bits64='CONFIG_64BIT=y' ;;
esac

# Set the architecture symbol in a .config-style file (in place, only if it
# changes, so that an unchanged .config keeps its time stamp).
set_arch() {
	${AWK:-awk} -v line="$bits64" '
		/^CONFIG_64BIT=/ || /^# CONFIG_64BIT is not set$/ { if (!done) print line; done = 1; next }
		{ print }
		END { if (!done) print line }
	' "$1" > "$1.tmp"
	if cmp -s "$1" "$1.tmp"; then rm -f "$1.tmp"; else mv -f "$1.tmp" "$1"; fi
}

# The Kconfig files, the top one first, following "source" lines.
kconfig_files() {
	echo "$1"
	sed -n 's/^[[:space:]]*source[[:space:]]*"\(.*\)"[[:space:]]*$/\1/p' "$srctree/$1" |
	sed "s|\$(SRCARCH)|$SRCARCH|g" |
	while read -r f; do kconfig_files "$f"; done
}

if [ "$mode" = defconfig ]; then
	case "$defconfig" in
	/*) src=$defconfig ;;
	*) src=$srctree/$defconfig ;;
	esac
	echo "#"
	echo "# configuration written to $KCONFIG_CONFIG"
	echo "#"
	[ -f "$KCONFIG_CONFIG" ] && cp -f "$KCONFIG_CONFIG" "$KCONFIG_CONFIG.old"
	cp -f "$src" "$KCONFIG_CONFIG"
	chmod u+w "$KCONFIG_CONFIG"
	set_arch "$KCONFIG_CONFIG"
	exit 0
fi

if [ "$mode" = merge ]; then
	if [ ! -f "$KCONFIG_CONFIG" ]; then
		cp -f "$srctree/arch/$SRCARCH/configs/$KBUILD_DEFCONFIG" "$KCONFIG_CONFIG"
		chmod u+w "$KCONFIG_CONFIG"
	fi
	echo "Merging $fragment"
	${AWK:-awk} '
		function sym(line) {
			if (line ~ /^CONFIG_[A-Za-z0-9_]*=/) { sub(/=.*/, "", line); return line }
			if (line ~ /^# CONFIG_[A-Za-z0-9_]* is not set$/) { sub(/^# /, "", line); sub(/ .*/, "", line); return line }
			return ""
		}
		FNR == NR { s = sym($0); if (s != "") { set[s] = 1; frag[++n] = $0 }; next }
		{ s = sym($0); if (!(s in set)) print }
		END { for (i = 1; i <= n; i++) print frag[i] }
	' "$fragment" "$KCONFIG_CONFIG" > "$KCONFIG_CONFIG.tmp"
	if cmp -s "$KCONFIG_CONFIG" "$KCONFIG_CONFIG.tmp"; then
		rm -f "$KCONFIG_CONFIG.tmp"
	else
		mv -f "$KCONFIG_CONFIG.tmp" "$KCONFIG_CONFIG"
	fi
	set_arch "$KCONFIG_CONFIG"
	exit 0
fi

if [ "$mode" = yes2mod ]; then
	if [ ! -f "$KCONFIG_CONFIG" ]; then
		cp -f "$srctree/arch/$SRCARCH/configs/$KBUILD_DEFCONFIG" "$KCONFIG_CONFIG"
		chmod u+w "$KCONFIG_CONFIG"
	fi
	# What Kconfig says: "T SYM" for a tristate, "S SYM TARGET" for a select,
	# "D SYM X" for a "depends on X=y" (help texts left out).
	kconfig_files Kconfig | while read -r f; do cat "$srctree/$f"; done |
	${AWK:-awk} '
		/^(config|menuconfig)[ \t]/ { sym = $2; help = 0; next }
		/^[^ \t#]/ { sym = ""; help = 0; next }
		help || sym == "" { next }
		/^[ \t]*(help|---help---)[ \t]*$/ { help = 1; next }
		$1 == "tristate" || $1 == "def_tristate" { print "T", sym; next }
		$1 == "select" { print "S", sym, $2; next }
		$1 == "depends" && $2 == "on" {
			s = $0
			while (match(s, /[A-Za-z0-9_]+[ \t]*=[ \t]*y/)) {
				d = substr(s, RSTART, RLENGTH); sub(/[ \t]*=.*/, "", d)
				print "D", sym, d
				s = substr(s, RSTART + RLENGTH)
			}
		}
	' > "$KCONFIG_CONFIG.kconfig"
	${AWK:-awk} '
		FNR == NR {
			if ($1 == "T") tri[$2] = 1
			else if ($1 == "S") sel[++ns] = $2 " " $3
			else if ($1 == "D") dep[++nd] = $2 " " $3
			next
		}
		{ line[++n] = $0 }
		/^CONFIG_[A-Za-z0-9_]*=/ { s = $0; sub(/=.*/, "", s); v = $0; sub(/^[^=]*=/, "", v); val[substr(s, 8)] = v }
		END {
			for (s in val) new[s] = val[s]
			if (val["MODULES"] == "y")
				for (s in tri) if (val[s] == "y") new[s] = "m"
			do {
				changed = 0
				for (i = 1; i <= ns; i++) {
					split(sel[i], p, " ")
					if (new[p[1]] == "y" && val[p[2]] == "y" && new[p[2]] == "m") { new[p[2]] = "y"; changed = 1 }
				}
				for (i = 1; i <= nd; i++) {
					split(dep[i], p, " ")
					if (new[p[2]] != "y" && (p[1] in new) && new[p[1]] != "n") { new[p[1]] = "n"; changed = 1 }
				}
			} while (changed)
			for (i = 1; i <= n; i++) {
				l = line[i]
				if (l ~ /^CONFIG_[A-Za-z0-9_]*=y$/) {
					s = substr(l, 8); sub(/=.*/, "", s)
					if (new[s] == "m") l = "CONFIG_" s "=m"
					else if (new[s] == "n") l = "# CONFIG_" s " is not set"
				}
				print l
			}
		}
	' "$KCONFIG_CONFIG.kconfig" "$KCONFIG_CONFIG" > "$KCONFIG_CONFIG.tmp"
	rm -f "$KCONFIG_CONFIG.kconfig"
	echo "#"
	echo "# configuration written to $KCONFIG_CONFIG"
	echo "#"
	if cmp -s "$KCONFIG_CONFIG" "$KCONFIG_CONFIG.tmp"; then
		rm -f "$KCONFIG_CONFIG.tmp"
	else
		cp -f "$KCONFIG_CONFIG" "$KCONFIG_CONFIG.old"
		mv -f "$KCONFIG_CONFIG.tmp" "$KCONFIG_CONFIG"
	fi
	set_arch "$KCONFIG_CONFIG"
	exit 0
fi

# --syncconfig
if [ ! -f "$KCONFIG_CONFIG" ]; then
	echo "#"
	echo "# using defaults found in arch/$SRCARCH/configs/$KBUILD_DEFCONFIG"
	echo "#"
	cp -f "$srctree/arch/$SRCARCH/configs/$KBUILD_DEFCONFIG" "$KCONFIG_CONFIG"
	chmod u+w "$KCONFIG_CONFIG"
fi
set_arch "$KCONFIG_CONFIG"

mkdir -p include/config include/generated

header="Linux/$SRCARCH $KERNELVERSION Kernel Configuration"

# include/generated/autoconf.h
{
	echo "/*"
	echo " * Automatically generated file; DO NOT EDIT."
	echo " * $header"
	echo " */"
	sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' "$KCONFIG_CONFIG" |
	while read -r sym val; do
		case "$val" in
		y) echo "#define $sym 1" ;;
		m) echo "#define ${sym}_MODULE 1" ;;
		*) echo "#define $sym $val" ;;
		esac
	done
} > include/generated/autoconf.h.tmp
if cmp -s include/generated/autoconf.h include/generated/autoconf.h.tmp; then
	rm -f include/generated/autoconf.h.tmp
else
	mv -f include/generated/autoconf.h.tmp include/generated/autoconf.h
fi

# the new auto.conf
{
	echo "#"
	echo "# Automatically generated file; DO NOT EDIT."
	echo "# $header"
	echo "#"
	grep '^CONFIG_' "$KCONFIG_CONFIG" || :
} > include/config/auto.conf.tmp

# include/config/<SYMBOL>: touch the file of every symbol whose value changed
touch include/config/auto.conf
for sym in $(${AWK:-awk} -F= '
	FNR == NR { if ($1 ~ /^CONFIG_/) old[$1] = $0; next }
	$1 ~ /^CONFIG_/ { new[$1] = $0 }
	END {
		for (s in new) if (!(s in old) || old[s] != new[s]) print substr(s, 8)
		for (s in old) if (!(s in new)) print substr(s, 8)
	}' include/config/auto.conf include/config/auto.conf.tmp); do
	: > "include/config/$sym"
done

# include/config/auto.conf.cmd: the Kconfig files read, and the environment
# variables Kconfig used (here ARCH32), so that make re-runs syncconfig when
# one of them changes.
{
	echo "deps_config := \\"
	kconfig_files Kconfig | sed 's/^/	/; s/$/ \\/'
	echo
	echo "include/config/auto.conf: \$(deps_config)"
	echo
	echo "ifneq \"\$(ARCH32)\" \"$ARCH32\""
	echo "include/config/auto.conf: FORCE"
	echo "endif"
	echo
	echo "\$(deps_config): ;"
} > include/config/auto.conf.cmd

mv -f include/config/auto.conf.tmp include/config/auto.conf
