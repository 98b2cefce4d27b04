#!/usr/bin/env bash
# Measures kubeward against the decode-only baseline on the shared corpus,
# alternating the two in one run (these machines are noisy), and the peak
# memory on a 10x copy of the corpus. Usage: bench/corpus.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
corpus=../shared/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/kubeward" ./cmd/kubeward
go build -o "$work/baseline" ./bench/decode-baseline

measure() { # name command... -> appends "seconds kib" to $work/name
	local name=$1
	shift
	/usr/bin/time -o "$work/t" -f "%e %M" "$@" >/dev/null 2>&1 || true
	tail -n 1 "$work/t" >>"$work/times-$name"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for _ in $(seq "$runs"); do
	measure baseline "$work/baseline" -workers 2 "$corpus"
	measure kubeward "$work/kubeward" scan "$corpus" --fail-on none -o json="$work/out.json"
done

mkdir -p "$work/x10"
for i in $(seq 10); do cp -r "$corpus" "$work/x10/copy$i"; done
measure kubeward-x10 "$work/kubeward" scan "$work/x10" --fail-on none -o json="$work/out10.json"

bt=$(cut -d" " -f1 "$work/times-baseline" | median); bm=$(cut -d" " -f2 "$work/times-baseline" | median)
kt=$(cut -d" " -f1 "$work/times-kubeward" | median); km=$(cut -d" " -f2 "$work/times-kubeward" | median)
xt=$(cut -d" " -f1 "$work/times-kubeward-x10"); xm=$(cut -d" " -f2 "$work/times-kubeward-x10")
findings=$(grep -o '"findings": *[0-9]*' "$work/out.json" | head -1 | grep -o '[0-9]*$')
echo "corpus: $(find "$corpus" -name '*.y*ml' -o -name '*.json' | wc -l) files, $runs runs, medians, $(nproc) cores"
printf 'baseline (sigs.k8s.io/yaml decode only, 2 workers): %6.2f s  %4d MiB\n' "$bt" $((bm / 1024))
printf 'kubeward scan, all checks (%s findings):      %6.2f s  %4d MiB\n' "$findings" "$kt" $((km / 1024))
echo "kubeward / baseline wall time: $(awk -v a="$kt" -v b="$bt" 'BEGIN{printf "%.2f", a/b}')"
printf 'kubeward on a 10x copy:                            %6.2f s  %4d MiB (memory x%s)\n' "$xt" $((xm / 1024)) "$(awk -v a="$xm" -v b="$km" 'BEGIN{printf "%.1f", a/b}')"
