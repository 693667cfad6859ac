#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A small stand-in for the kernel's scripts/mod/modpost (a host C program).
#
# Usage: modpost.sh -o Module.symvers -T <module-list|-> vmlinux.o
#
# For every module object named in the list (fs/ext2/ext2.o ...), it writes
# the module's <name>.mod.c (only when its content changes, as modpost does),
# and it writes Module.symvers in modpost's format:
#   0x00000000<TAB>symbol<TAB>vmlinux|dir/module<TAB>EXPORT_SYMBOL[_GPL]<TAB>namespace
# reading the exports from the ___ksymtab+<sym> / ___ksymtab_gpl+<sym>
# sections. There is no CONFIG_MODVERSIONS here, so every CRC is 0.

set -e

out=Module.symvers
list=
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	-T) list=$2; shift 2 ;;
	-*) shift ;;
	*) break ;;
	esac
done
vmlinux_o=$1

if [ "$list" = - ]; then
	modules=$(cat)
elif [ -n "$list" ]; then
	modules=$(cat "$list")
else
	modules=
fi

exports() {
	# $1: object, $2: module name for Module.symvers
	${READELF:-readelf} -SW "$1" |
	sed -n 's/^ *\[ *[0-9]*\] ___ksymtab\(_gpl\)\{0,1\}+\([^ ]*\) .*/\2 \1/p' |
	while read -r sym gpl; do
		if [ -n "$gpl" ]; then kind=EXPORT_SYMBOL_GPL; else kind=EXPORT_SYMBOL; fi
		printf '0x00000000\t%s\t%s\t%s\t\n' "$sym" "$2" "$kind"
	done
}

modc() {
	cat <<'EOT'
#include <linux/module.h>
#define INCLUDE_VERMAGIC
#include <linux/vermagic.h>
#include <linux/compiler.h>

MODULE_INFO(vermagic, VERMAGIC_STRING);
MODULE_INFO(name, KBUILD_MODNAME);

__visible struct module __this_module
__section(".gnu.linkonce.this_module") = {
	.name = KBUILD_MODNAME,
	.init = init_module,
#ifdef CONFIG_MODULE_UNLOAD
	.exit = cleanup_module,
#endif
};

MODULE_INFO(intree, "Y");

MODULE_INFO(depends, "");
EOT
}

{
	[ -n "$vmlinux_o" ] && exports "$vmlinux_o" vmlinux
	for m in $modules; do
		exports "$m" "${m%.o}"
	done
} > "$out.tmp"
mv -f "$out.tmp" "$out"

for m in $modules; do
	c=${m%.o}.mod.c
	modc > "$c.tmp"
	if cmp -s "$c" "$c.tmp"; then rm -f "$c.tmp"; else mv -f "$c.tmp" "$c"; fi
done
