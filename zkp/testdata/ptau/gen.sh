#!/usr/bin/env bash
# gen.sh POWER OUTDIR: makes .ptau files with the snarkjs pinned in
# package.json (run `npm ci` here first): OUTDIR/potP_0002.ptau (a new
# accumulator of power P and two contributions) and OUTDIR/potP_final.ptau
# (the same, prepared for phase 2). Contributions mix -e entropy with
# random bytes, so every run writes different points.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
snarkjs="$here/node_modules/.bin/snarkjs"
p="$1"
out="$2"
mkdir -p "$out"
"$snarkjs" powersoftau new bn128 "$p" "$out/pot${p}_0000.ptau"
"$snarkjs" powersoftau contribute "$out/pot${p}_0000.ptau" "$out/pot${p}_0001.ptau" --name="zkcred test one" -e="zkcred test entropy one"
"$snarkjs" powersoftau contribute "$out/pot${p}_0001.ptau" "$out/pot${p}_0002.ptau" --name="zkcred test two" -e="zkcred test entropy two"
if [ "${PTAU_PREPARE:-1}" = 1 ]; then
	"$snarkjs" powersoftau prepare phase2 "$out/pot${p}_0002.ptau" "$out/pot${p}_final.ptau"
fi
rm -f "$out/pot${p}_0000.ptau" "$out/pot${p}_0001.ptau"
