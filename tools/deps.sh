#!/bin/sh
# tools/deps.sh PACKAGE...: make sure these Debian packages are installed.
# As root, missing ones are installed with apt-get (the package lists are
# refreshed first when apt-get cannot find them). Otherwise the exact
# apt-get line is printed and the script fails.
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "smtpcodes needs these Debian packages:$missing" >&2
  echo "install them with: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq $missing >/dev/null 2>&1 ||
  { apt-get update -qq && apt-get install -y -qq $missing; } >/dev/null ||
  { echo "apt-get could not install:$missing" >&2; exit 1; }
