#!/usr/bin/env bash
# Print the absolute path of a current nats-server binary, fetched from Debian.
#
#   scripts/current-nats-server.sh [sid|trixie]      (default: sid)
#   NATS_SERVER_BIN="$(scripts/current-nats-server.sh)"
#
# Debian stable ships nats-server 2.9, which lacks per-message TTL and subject
# delete markers (>= 2.11). Debian's package of it is one Go binary that needs
# only libc, so we download the .deb from a newer suite and unpack it into a
# cache; nothing is installed and the system's apt state is not touched.
# Only the path goes to stdout; progress and errors go to stderr.
set -euo pipefail

me=${0##*/}
die() { echo "$me: $*" >&2; exit 1; }

suite=${1:-sid}
case $suite in sid | trixie) ;; *) die "unknown suite '$suite' (use sid or trixie)" ;; esac

cache=${XDG_CACHE_HOME:-$HOME/.cache}/mayfly
link=$cache/nats-server-$suite # -> nats-server-<version>, so a rerun needs no network

# A cached binary that still runs is good enough: no network on later runs.
if [[ -x $link/usr/sbin/nats-server ]] && "$link/usr/sbin/nats-server" --version >/dev/null 2>&1; then
  realpath "$link/usr/sbin/nats-server"
  exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb (Debian/Ubuntu)"

# Reuse the archive this machine already uses (mirror or proxy included): the
# first non-security URI from deb822 .sources files, else from sources.list.
uri=$(awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
  /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[[ -n $uri ]] || uri=$(awk '{ sub(/\[[^]]*\]/, "") } $1 == "deb" && $2 !~ /security/ { print $2; exit }' \
  /etc/apt/sources.list 2>/dev/null || true)
[[ -n $uri ]] || die "no Debian archive URI found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" ${dest:+"$dest.tmp"}' EXIT # no half-unpacked dir left behind
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb"
echo "deb $uri $suite main" >"$tmp/sources.list"
touch "$tmp/status"
# As root, apt downloads as the unprivileged _apt user: let it reach our dirs
# (mktemp makes them root-only) instead of warning and downloading as root.
if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then chmod 755 "$tmp" && chown -R _apt "$tmp/lists" "$tmp/deb"; fi
# The system's apt.conf.d runs hooks after every update (appstream, packagekit)
# that would refresh system caches from the system lists: switch them off.
printf '#clear APT::Update::%s;\n' Pre-Invoke Post-Invoke Post-Invoke-Success >"$tmp/apt.conf"
# Everything else apt writes (lists, cache, locks) or resolves against
# (installed packages, extra sources) is pointed into $tmp; the system's
# apt.conf.d still applies, so a proxy configured there is honoured.
apt_opts=(
  -c "$tmp/apt.conf" -q
  -o Dir::Etc::sourcelist="$tmp/sources.list" -o Dir::Etc::sourceparts=-
  -o Dir::State::lists="$tmp/lists" -o Dir::Cache="$tmp/cache"
  -o Dir::State::status="$tmp/status" -o Dir::Etc::preferencesparts=-
)

echo "$me: reading the $suite index from $uri ..." >&2
apt-get "${apt_opts[@]}" --error-on=any update >"$tmp/log" 2>&1 ||
  die "apt-get update for $suite failed: $(grep -m1 -E '^E:' "$tmp/log" || tail -n1 "$tmp/log")"
grep -q '^W:' "$tmp/log" && grep '^W:' "$tmp/log" >&2 # e.g. a signature problem

(cd "$tmp/deb" && apt-get "${apt_opts[@]}" download nats-server) >>"$tmp/log" 2>&1 ||
  die "apt-get download nats-server ($suite) failed: $(grep -m1 -E '^(E|Err):' "$tmp/log" || tail -n1 "$tmp/log")"
deb=$(ls "$tmp"/deb/nats-server_*.deb)
version=$(dpkg-deb -f "$deb" Version)
version=${version#*:} # drop an epoch: no ':' in directory names

dest=$cache/nats-server-$version
echo "$me: unpacking nats-server $version into $dest" >&2
mkdir -p "$cache"
rm -rf "$dest.tmp" && dpkg-deb -x "$deb" "$dest.tmp" || die "dpkg-deb could not unpack $deb"
"$dest.tmp/usr/sbin/nats-server" --version >/dev/null 2>&1 || die "the unpacked nats-server $version does not run here"
rm -rf "$dest" && mv "$dest.tmp" "$dest" # replace atomically enough: a half-unpacked dir never has the final name
ln -sfn "nats-server-$version" "$link"
echo "$dest/usr/sbin/nats-server"
