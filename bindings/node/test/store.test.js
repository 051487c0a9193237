'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const srd = require('..');

function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srd-node-'));
  test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('sync roundtrip, batch, iteration and reopen', () => {
  const file = path.join(tempDir(), 's.srd');
  const st = srd.open(file);
  st.put('alpha', 'one');
  st.put(Buffer.from('beta'), new Uint8Array([1, 2, 3]));
  st.putBatch([['c', 'three'], ['d', Buffer.alloc(100000, 7)]]);
  st.putBatch([]);
  assert.equal(st.get('alpha').toString(), 'one');
  assert.deepEqual([...st.get('beta')], [1, 2, 3]);
  assert.equal(st.exists('c'), true);
  st.delete('c');
  assert.equal(st.exists('c'), false);
  assert.equal(st.count(), 3);
  const seen = new Map();
  for (const [hash, value] of st.entries()) seen.set(hash, value.toString());
  assert.equal(seen.size, 3);
  assert.equal(seen.get(srd.hashKey('alpha')), 'one');
  st.compact();
  st.sync();
  st.close();
  st.close();
  assert.throws(() => st.get('alpha'), { code: 'SRD_INVALID_ARGUMENT', message: /closed/ });

  const ro = srd.open(file, { readOnly: true });
  assert.equal(ro.get('d').length, 100000);
  assert.throws(() => ro.put('x', 'y'), (err) => {
    assert.equal(err.code, 'SRD_READ_ONLY');
    assert.equal(err.status, 6);
    assert.equal(err.errno, 0);
    assert.match(err.message, /read-only/);
    return true;
  });
  ro.close();
});

test('a missing key is SRD_NOT_FOUND, sync and async', async () => {
  const st = srd.open(path.join(tempDir(), 's.srd'));
  assert.throws(() => st.get('nope'),
    { code: 'SRD_NOT_FOUND', status: 1, errno: 0, message: 'key not found' });
  await assert.rejects(st.getAsync('nope'), { code: 'SRD_NOT_FOUND', message: 'key not found' });
  await assert.rejects(st.deleteAsync('nope'), { code: 'SRD_NOT_FOUND' });
  assert.throws(() => st.put('', 'v'), { code: 'SRD_INVALID_ARGUMENT' });
  await st.putAsync('k', 'v');
  assert.equal((await st.getAsync('k')).toString(), 'v');
  st.close();
});

test('getEntry is zero-copy, aligned, and outlives compaction and close', async () => {
  const st = srd.open(path.join(tempDir(), 's.srd'));
  const value = Buffer.alloc(16000, 'abcdef0123456789');
  st.put('k', value);
  const ab = st.getEntry('k');
  assert.ok(ab instanceof ArrayBuffer);
  assert.ok(Buffer.from(ab).equals(value));
  const addr = srd._addon.dataAddress(ab);
  assert.equal(addr % 64n, 0n, 'value is 64-byte aligned');
  const ab2 = await st.getEntryAsync('k');
  assert.equal(srd._addon.dataAddress(ab2), addr, 'two entries share the mapped bytes');
  const copy = st.get('k');
  assert.notEqual(srd._addon.dataAddress(copy.buffer) + BigInt(copy.byteOffset), addr,
    'get() copies');
  st.put('k', 'new');
  await st.compactAsync();
  st.close();
  assert.ok(Buffer.from(ab).equals(value), 'entry unchanged after overwrite, compaction, close');
  assert.ok(Buffer.from(ab2).equals(value));
});

test('the errno of an OS failure', async () => {
  const dir = tempDir();
  const missing = path.join(dir, 'no-such-dir', 's.srd');
  for (const attempt of [() => srd.open(missing), () => srd.openAsync(missing)]) {
    let err;
    try {
      await attempt();
    } catch (e) {
      err = e;
    }
    assert.ok(err, 'open in a missing directory failed');
    assert.equal(err.code, 'SRD_NOT_FOUND');
    assert.equal(err.errno, os.constants.errno.ENOENT);
    assert.equal(err.osCode, 'ENOENT');
    assert.ok(err.message.includes(missing), err.message);
  }
  const plain = path.join(dir, 'plain-file');
  fs.writeFileSync(plain, 'x');
  await assert.rejects(srd.openAsync(path.join(plain, 's.srd')),
    { code: 'SRD_IO', status: 3, errno: os.constants.errno.ENOTDIR, osCode: 'ENOTDIR' });
});

test('16 callers x 2000 concurrent async failing calls each get their own error', async (t) => {
  const dir = path.join(tempDir(), 'missing');
  const callers = 16;
  const each = 2000;
  const inFlight = 256; // calls queued at once per round, from all callers
  let right = 0;
  let firstWrong = null;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < each; i += inFlight / callers) {
    const round = [];
    for (let c = 0; c < callers; c++) {
      for (let j = i; j < Math.min(each, i + inFlight / callers); j++) {
        const file = `${dir}/c${c}-call${j}.srd`;
        round.push(srd.openAsync(file, { noCreate: true }).then(
          () => { firstWrong ??= `${file}: opened`; },
          (err) => {
            if (err.code === 'SRD_NOT_FOUND' && err.errno === os.constants.errno.ENOENT &&
              err.message.includes(`${file}:`)) right++;
            else firstWrong ??= `${file}: ${err.code} ${err.message}`;
          }));
      }
    }
    await Promise.all(round);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  t.diagnostic(`${right} of ${callers * each} async errors carried their own call's ` +
    `message and errno (${ms.toFixed(0)} ms)`);
  assert.equal(firstWrong, null);
  assert.equal(right, callers * each);
});

test('reading the detail on the JS thread after an async call would not work', async () => {
  // What a binding that calls on a worker thread and reads the per-thread
  // message afterwards (koffi's async calls) would see: not its error.
  const missing = path.join(tempDir(), 'absent', 'x.srd');
  await assert.rejects(srd.openAsync(missing, { noCreate: true }), { code: 'SRD_NOT_FOUND' });
  assert.ok(!srd._addon.lastErrorMessage().includes(missing));
});

test('close() with async calls in flight waits for them', async () => {
  const file = path.join(tempDir(), 's.srd');
  const st = srd.open(file);
  const puts = [];
  for (let i = 0; i < 200; i++) puts.push(st.putAsync(`k${i}`, `v${i}`));
  st.close();
  await Promise.all(puts);
  await assert.rejects(st.getAsync('k1'), { code: 'SRD_INVALID_ARGUMENT', message: /closed/ });
  const again = await srd.openAsync(file);
  assert.equal(again.count(), 200);
  assert.equal(again.get('k199').toString(), 'v199');
  again.close();
});
