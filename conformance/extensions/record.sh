#!/usr/bin/env bash
# Records conformance/extensions/golden from a fresh reference wiki with OATHAuth and ConfirmEdit
# (/work/shared/oracle/extensions.sh, QuestyCaptcha), one scenario at a time, each starting from
# an empty objectcache table (no throttle counters, no TOTP replay state, no sessions).
#   record.sh [SCENARIO.json ...]         default: every file in scenarios/
#   record.sh check [SCENARIO.json ...]   replay against a fresh wiki and compare with golden/
# EXT_DIR (default /tmp/mwauth-ext-record; removed first), EXT_PORT (default 8184), ORACLE (the
# oracle's directory, default /work/shared/oracle).
set -euo pipefail
mode=record; [ "${1:-}" = check ] && { mode=check; shift; }
HERE=$(cd "$(dirname "$0")" && pwd)
ORACLE=${ORACLE:-/work/shared/oracle}
export EXT_DIR=${EXT_DIR:-/tmp/mwauth-ext-record} EXT_PORT=${EXT_PORT:-8184} EXT_CAPTCHA=questy
# A wiki already listening there (another recorder's) would silently answer instead of ours.
if (exec 3<>"/dev/tcp/127.0.0.1/$EXT_PORT") 2>/dev/null; then echo "port $EXT_PORT is in use" >&2; exit 1; fi
rm -rf "$EXT_DIR"
url=$(bash "$ORACLE/extensions.sh")
# Beyond extensions.sh: a bot password for Carol, and known recovery codes in her key.
(cd /usr/share/mediawiki && php maintenance/createBotPassword.php --conf "$EXT_DIR/LocalSettings.php" \
   --appid carolbot --grants basic Carol 'carolbotpasswordcarolbotpassw001' >>"$EXT_DIR/install.log" 2>&1)
codes=$(printf '"CAROLSCRATCHAAA%s",' A B C D E F G H I J); codes=${codes%,}
sqlite3 "$EXT_DIR/data/oraclewiki.sqlite" "UPDATE oathauth_users SET data='{\"keys\":[{\"secret\":\"ORACLETOTPSECRETORACLETOTPSECRET\",\"scratch_tokens\":[$codes]}]}' WHERE id=6"
[ $# -gt 0 ] || set -- "$HERE"/scenarios/*.json
failed=0
for sc in "$@"; do
  sqlite3 "$EXT_DIR/data/wikicache.sqlite" "DELETE FROM objectcache"
  if [ $mode = record ]; then
    python3 "$HERE/../record.py" record "$url" "$sc" --out "$HERE/golden" | grep -v '^1 passed'
  else
    python3 "$HERE/../record.py" check "$url" "$sc" --golden "$HERE/golden" | grep -v '^[01] passed' \
      || failed=$((failed + 1))
  fi
done
bash "$ORACLE/extensions.sh" stop
[ $mode = record ] || { echo "$(( $# - failed )) passed, $failed failed"; [ $failed = 0 ]; }
