#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Generates a linker script that specifies the correct initcall order.
#
# A stand-in for Linux 6.1's scripts/generate_initcall_order.pl (a perl
# script), with the same input and the same output.
#
# Usage: NM=<nm> generate_initcall_order.sh <archive|object>... > .tmp_initcalls.lds
#
# With CONFIG_LTO_CLANG each initcall entry sits in a section of its own,
# .initcall<level>.init..<modname>__<counter>_<line>_<fn>, next to the label
# __initcall__<modname>__<counter>_<line>_<fn><level> (include/linux/init.h).
# $(NM) (llvm-nm, which reads LLVM bitcode) lists those labels; the initcalls
# of each object are sorted by <counter>, the objects keep the link order of
# the arguments, and each level becomes one output section:
#
#   SECTIONS {
#   	.initcall6.init : {
#   		*(.initcall6.init..kmod_serial_mini__137_180_serial_mini_init) ;
#   	}
#   }

set -e

if [ -z "$NM" ]; then
	echo "$0: ERROR: NM not set?" >&2
	exit 1
fi

for f in "$@"; do
	if [ ! -f "$f" ]; then
		echo "$0: ERROR: file $f doesn't exist?" >&2
		exit 1
	fi
done

"$NM" --defined-only "$@" 2>/dev/null | ${AWK:-awk} -v prog="$0" '
# the initcalls of one object file, sorted by their counter
function flush(    i, j, t, lv) {
	for (i = 2; i <= n; i++) {
		t = counters[i]
		for (j = i - 1; j >= 1 && counters[j] + 0 > t + 0; j--)
			counters[j + 1] = counters[j]
		counters[j + 1] = t
	}
	for (i = 1; i <= n; i++) {
		lv = level[counters[i]]
		if (!(lv in nsec)) {
			nsec[lv] = 0
			levels[++nlevels] = lv
		}
		sec[lv, ++nsec[lv]] = secname[counters[i]]
	}
	n = 0
}

# the start of a new object file (in an archive, or the next argument)
/:$/ {
	flush()
	next
}

# look for an initcall: __initcall__<module>__<counter>_<line>_<function><level>
$0 ~ /[a-z][ \t]+__initcall__/ {
	sym = $NF
	if (substr(sym, 1, 12) != "__initcall__")
		next
	rest = substr(sym, 13)
	# the last "__<counter>_<line>_" (the module name is the longest prefix)
	pos = 0
	s = rest
	off = 0
	while (match(s, /__[0-9]+_[0-9]+_/)) {
		pos = off + RSTART
		len = RLENGTH
		off += RSTART
		s = substr(s, RSTART + 1)
	}
	if (!pos)
		next
	module = substr(rest, 1, pos - 1)
	split(substr(rest, pos + 2, len - 3), cl, "_")
	symbol = substr(rest, pos + len)
	if (!match(symbol, /(early|rootfs|con|[0-9])s?$/) || RSTART == 1) {
		printf "%s: ERROR: invalid initcall name %s\n", prog, symbol > "/dev/stderr"
		exit 1
	}
	function_ = substr(symbol, 1, RSTART - 1)
	lv = substr(symbol, RSTART)
	counters[++n] = cl[1]
	level[cl[1]] = lv
	secname[cl[1]] = module "__" cl[1] "_" cl[2] "_" function_
}

END {
	flush()
	if (!nlevels) {
		printf "%s: ERROR: no initcalls?\n", prog > "/dev/stderr"
		exit 1
	}
	# the levels in sorted order
	for (i = 2; i <= nlevels; i++) {
		t = levels[i]
		for (j = i - 1; j >= 1 && levels[j] > t; j--)
			levels[j + 1] = levels[j]
		levels[j + 1] = t
	}
	print "SECTIONS {"
	for (i = 1; i <= nlevels; i++) {
		lv = levels[i]
		section = (lv == "con") ? ".con_initcall.init" : ".initcall" lv ".init"
		print "\t" section " : {"
		for (j = 1; j <= nsec[lv]; j++)
			print "\t\t*(" section ".." sec[lv, j] ") ;"
		print "\t}"
	}
	print "}"
}
'
