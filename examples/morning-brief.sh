#!/usr/bin/env bash
# Build today's morning brief from a folder of wire copy and a list of links, in French and
# Arabic. Meant for cron: quiet unless something goes wrong, and the exit code says what did.
#
#   morning-brief.sh WIRE_DIR [LINKS_FILE] [OUT_DIR] [-- BRIEFER_FLAGS...]
#
# OUT_DIR (default: the current folder) must not be WIRE_DIR or inside it: the brief written
# there would be read as wire copy the next morning. Flags after -- go to briefer as given,
# quoted as you quote them, and come after the script's own, so they win:
#
#   morning-brief.sh /srv/wire /srv/links.txt /srv/briefs -- --title "Desk brief" --lang fr
#
# BRIEFER names the briefer command (default: briefer on PATH; under cron give its full path,
# e.g. BRIEFER=/opt/briefer/.venv/bin/briefer). BRIEFER_ARGS adds flags too, split on spaces
# (so no value in it may hold one: use flags after -- for those).
#
# Exit codes are briefer's: 0 all sources briefed, 3 brief written but some sources failed,
# anything else no brief (1 input, 2 usage, 4 model).
set -uo pipefail

usage="usage: morning-brief.sh WIRE_DIR [LINKS_FILE] [OUT_DIR] [-- BRIEFER_FLAGS...]"
positional=()
while [[ $# -gt 0 && $1 != "--" ]]; do
    positional+=("$1")
    shift
done
[[ $# -gt 0 ]] && shift # the --; what is left goes to briefer
if [[ ${#positional[@]} -lt 1 || ${#positional[@]} -gt 3 ]]; then
    echo "$usage" >&2
    exit 2
fi
wire=${positional[0]}
links=${positional[1]:-}
out=${positional[2]:-.}
today=$(date +%F)
briefer=${BRIEFER:-briefer}

# Yesterday's brief in the wire folder would be briefed as a story today (and today's, on a
# second run, refused as both input and output).
if [[ -d $wire && -d $out ]]; then
    wire_real=$(cd "$wire" && pwd -P)
    out_real=$(cd "$out" && pwd -P)
    if [[ $out_real == "$wire_real" || $out_real == "$wire_real"/* ]]; then
        echo "morning-brief: OUT_DIR $out is inside WIRE_DIR $wire; write the brief elsewhere" >&2
        exit 2
    fi
fi

args=(summarize "$wire" --lang fr,ar --title "Morning brief $today" -o "$out/brief-$today.md" -q)
if [[ -n "$links" ]]; then
    args+=(--from-list "$links")
fi
# Site-specific flags, e.g. BRIEFER_ARGS="-t fr=/models/opus-mt-en-fr --max-length 100".
read -r -a extra <<<"${BRIEFER_ARGS:-}"
args+=("${extra[@]}" "$@")

"$briefer" "${args[@]}"
status=$?
case $status in
    0) ;;
    3) echo "morning-brief: some sources were left out; see 'Not included' in $out/brief-$today*" >&2 ;;
    *) echo "morning-brief: no brief today (briefer exit $status)" >&2 ;;
esac
exit $status
