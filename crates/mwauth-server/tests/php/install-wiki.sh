#!/usr/bin/env bash
# Installs Debian's MediaWiki 1.39 into DIR (SQLite, wiki id oraclewiki) with the accounts the
# PHP interoperability tests use, as the reference servers have them: Alice (id 3, bot
# passwords Alice@testbot and Alice@editbot, which may edit and create pages, as in
# shared/oracle/mixed.sh), Bob (4). Sessions and the object cache go where DIR/mode.php
# says; the test writes that file (Redis or the objectcache table) before each run.
#   install-wiki.sh DIR PORT
# Starts nothing: the test starts PHP's server and Redis itself and stops them by PID.
set -euo pipefail
DIR=$1
PORT=$2
IP=/usr/share/mediawiki
mkdir -p "$DIR/data"
(cd "$IP" && php maintenance/install.php --confpath "$DIR" --dbtype sqlite --dbpath "$DIR/data" \
   --dbname oraclewiki --server "http://127.0.0.1:$PORT" --scriptpath /w --lang en \
   --pass 'Admin-pass-12345' OracleWiki Admin >"$DIR/install.log" 2>&1)
cat >>"$DIR/LocalSettings.php" <<PHP
# install-wiki.sh: bot passwords on; sessions and object cache as mode.php says.
\$wgEnableBotPasswords = true;
\$wgMainCacheType = CACHE_DB;
\$wgSessionCacheType = CACHE_DB;
require __DIR__ . '/mode.php';
PHP
echo '<?php' >"$DIR/mode.php"
run() { (cd "$IP" && php "maintenance/$1" --conf "$DIR/LocalSettings.php" "${@:2}" >>"$DIR/install.log" 2>&1); }
run createAndPromote.php Alice 'Alice-pass-12345'
run createAndPromote.php Bob 'Bob-pass-12345'
run createBotPassword.php --appid testbot --grants basic,highvolume Alice 'alicebotpasswordalicebotpass0001'
run createBotPassword.php --appid editbot --grants basic,editpage,createeditmovepage Alice 'aliceeditbotpasswordaliceedit001'
