#!/usr/bin/env bash
# Checks the package as users get it from the registry: the tarball holds the compiled ESM, its type
# declarations, the web UI and the docs files, and nothing of the development tree; installed into an
# empty folder with nothing else, `npx warren-mq` prints the version and starts a broker a client can
# use, `import { Warren } from 'warren-mq'` works, and TypeScript resolves the package's types.
#
# Usage: scripts/check-pack.sh [tarball]   (default: packs the current tree; dist/ must be built)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/warren-pack.XXXXXX")"
broker_pid=""
cleanup() {
  # The broker runs in its own process group (npm, sh and node): end all of it.
  if [ -n "$broker_pid" ]; then kill -KILL -- "-$broker_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "check-pack: $*" >&2
  exit 1
}

tarball="${1:-$("$root/scripts/pack.sh" "$work")}"
version="$(node -p "require('$root/package.json').version")"
echo "check-pack: $tarball"

# --- the file list ---------------------------------------------------------------------------------
tar -tzf "$tarball" | sed 's|^package/||' | sort >"$work/files"
allowed='^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist/src/.+\.(js|d\.ts)|dist/ui/.+)$'
if grep -Ev "$allowed" "$work/files" >"$work/unexpected"; then
  fail "files that do not belong in the package:
$(head -20 "$work/unexpected")"
fi
for required in package.json README.md LICENSE CHANGELOG.md dist/src/index.js dist/src/index.d.ts \
  dist/src/cli/warren.js dist/src/cli/warrenctl.js dist/ui/index.html; do
  grep -qx "$required" "$work/files" || fail "missing from the package: $required"
done
# A compiled file whose source is gone (renamed or deleted since dist/ was built) must not ship.
while IFS= read -r f; do
  src="$root/src/${f#dist/src/}"
  src="${src%.d.ts}"
  src="${src%.js}"
  [ -f "$src.ts" ] || fail "$f has no source in src/ (a stale build: rm -rf dist && npm run build)"
done < <(grep -E '^dist/src/.+\.(js|d\.ts)$' "$work/files")
echo "check-pack: $(wc -l <"$work/files") files, none from test/, bench/, src/*.ts or source maps"

# --- install into an empty folder ------------------------------------------------------------------
app="$work/app"
mkdir -p "$app"
echo '{ "name": "warren-pack-check", "private": true, "type": "module" }' >"$app/package.json"
(cd "$app" && npm install --no-audit --no-fund --loglevel=warn "$tarball" >"$work/install.log" 2>&1) ||
  fail "npm install of the tarball failed: $(tail -20 "$work/install.log")"
if grep -q EBADENGINE "$work/install.log"; then
  fail "a dependency does not support this Node version: $(grep EBADENGINE "$work/install.log")"
fi

got="$(cd "$app" && npx --no-install warren-mq --version)"
[ "$got" = "$version" ] || fail "npx warren-mq --version printed '$got', expected '$version'"
echo "check-pack: npx warren-mq --version = $got"

# --- npx warren-mq starts a broker a client can use ------------------------------------------------
port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
# In a process group of its own, so SIGTERM reaches the broker itself and not only npm.
(cd "$app" && exec setsid npx --no-install warren-mq --host 127.0.0.1 --port "$port" --mgmt-port none \
  --prometheus-port none --data-dir "$work/data" >"$work/broker.log" 2>&1) &
broker_pid=$!
# The root's amqplib is the client; the installed package knows nothing of it.
(cd "$root" && node --input-type=module -e "
  import amqp from 'amqplib';
  const url = 'amqp://guest:guest@127.0.0.1:$port';
  let conn;
  for (let i = 0; i < 100 && !conn; i++) {
    conn = await amqp.connect(url).catch(() => new Promise((r) => setTimeout(r, 100)));
  }
  if (!conn) throw new Error('no broker on ' + url);
  const ch = await conn.createChannel();
  await ch.assertQueue('pack-check', { durable: true });
  ch.sendToQueue('pack-check', Buffer.from('hello'));
  const msg = await new Promise((resolve) => ch.consume('pack-check', resolve, { noAck: true }));
  if (msg.content.toString() !== 'hello') throw new Error('wrong message');
  await conn.close();
") || fail "a client could not use the broker started by npx warren-mq: $(tail -20 "$work/broker.log")"
kill -TERM -- "-$broker_pid"
wait "$broker_pid" || true # npm's own status on SIGTERM; the broker's log says how it stopped
for _ in $(seq 50); do
  kill -0 -- "-$broker_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 -- "-$broker_pid" 2>/dev/null && fail "the broker did not exit within 5 s of SIGTERM"
broker_pid=""
grep -q "Warren $version ready" "$work/broker.log" || fail "no ready line in the log: $(cat "$work/broker.log")"
grep -q "Warren stopped" "$work/broker.log" || fail "the broker did not stop cleanly: $(tail -20 "$work/broker.log")"
echo "check-pack: npx warren-mq served a client and stopped cleanly on SIGTERM"

# --- the library entry point and its types ---------------------------------------------------------
(cd "$app" && node --input-type=module -e "
  import { Warren, VERSION } from 'warren-mq';
  const b = await Warren.start({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
  b.declareQueue('q');
  b.publish('', 'q', 'x');
  if (b.queueCounts('q').messages !== 1 || VERSION !== '$version') throw new Error('embedded API');
  await b.close();
") || fail "import { Warren } from 'warren-mq' did not work"
cat >"$app/check.ts" <<'TS'
import { Warren, type QueueCounts, type BrokerEventMap } from 'warren-mq';
const broker: Warren = await Warren.start({ port: 0, logLevel: 'silent' });
const counts: QueueCounts = broker.queueCounts('q');
const declared: BrokerEventMap['queue.declared'] = await broker.waitFor('queue.declared');
console.log(counts.messagesReady, declared.name, broker.url);
TS
"$root/node_modules/.bin/tsc" --noEmit --strict --target es2022 --module nodenext --moduleResolution nodenext \
  --typeRoots "$root/node_modules/@types" --types node --skipLibCheck false "$app/check.ts" ||
  fail "TypeScript could not type-check a program using the package"
echo "check-pack: ESM import and type declarations work"
echo "check-pack: ok"
