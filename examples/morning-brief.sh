#!/usr/bin/env bash
# Build today's morning brief from a folder of wire copy and a list of links, in French and
# Arabic. Meant for cron: quiet unless something goes wrong, and the exit code says what did.
#
#   morning-brief.sh WIRE_DIR [LINKS_FILE] [OUT_DIR]
#
# BRIEFER names the briefer command (default: briefer on PATH); BRIEFER_ARGS adds flags.
#
# Exit codes are briefer's: 0 all sources briefed, 3 brief written but some sources failed,
# anything else no brief (1 input, 2 usage, 4 model).
set -uo pipefail

wire=${1:?usage: morning-brief.sh WIRE_DIR [LINKS_FILE] [OUT_DIR]}
links=${2:-}
out=${3:-.}
today=$(date +%F)
briefer=${BRIEFER:-briefer}

args=(summarize "$wire" --lang fr,ar --title "Morning brief $today" -o "$out/brief-$today.md" -q)
if [[ -n "$links" ]]; then
    args+=(--from-list "$links")
fi
# Site-specific flags, e.g. BRIEFER_ARGS="-t fr=/models/opus-mt-en-fr --max-length 100".
read -r -a extra <<<"${BRIEFER_ARGS:-}"
args+=("${extra[@]}")

"$briefer" "${args[@]}"
status=$?
case $status in
    0) ;;
    3) echo "morning-brief: some sources were left out; see 'Not included' in $out/brief-$today.fr.md" >&2 ;;
    *) echo "morning-brief: no brief today (briefer exit $status)" >&2 ;;
esac
exit $status
