'use strict';
// Conditional writes, snapshots, backups and mixed batches (library 0.1.2).
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

const conflict = (err) => {
  assert.equal(err.code, 'SRD_CONFLICT');
  assert.equal(err.status, 10);
  assert.equal(err.errno, 0);
  assert.match(err.message, /conflict/);
  return true;
};

test('conditional writes, sync and async; conflicts write nothing', async () => {
  const st = srd.open(path.join(tempDir(), 's.srd'));
  st.putIfAbsent('k', 'first');
  const v1 = st.version('k');
  assert.equal(typeof v1, 'number');
  const got = st.getWithVersion('k');
  assert.equal(got.value.toString(), 'first');
  assert.equal(got.version, v1);
  assert.equal(await st.versionAsync('k'), v1);
  assert.equal((await st.getWithVersionAsync('k')).version, v1);

  const size = st.fileSize();
  assert.throws(() => st.putIfAbsent('k', 'second'), conflict);
  assert.throws(() => st.putIfVersion('k', v1 + 64, 'second'), conflict);
  assert.throws(() => st.deleteIfVersion('k', v1 + 64), conflict);
  assert.throws(() => st.putIfVersion('absent', v1, 'x'), conflict);
  await assert.rejects(st.putIfAbsentAsync('k', 'second'), conflict);
  await assert.rejects(st.putIfVersionAsync('k', BigInt(v1 + 64), 'second'), conflict);
  await assert.rejects(st.deleteIfVersionAsync('absent', v1), conflict);
  assert.equal(st.fileSize(), size, 'conflicts wrote nothing');
  assert.equal(st.get('k').toString(), 'first');

  st.putIfVersion('k', BigInt(v1), 'second'); // a BigInt version works too
  const v2 = st.version('k');
  assert.notEqual(v2, v1);
  assert.throws(() => st.putIfVersion('k', v1, 'stale'), conflict);
  await st.putIfVersionAsync('k', v2, 'third');
  const v3 = st.version('k');
  await st.deleteIfVersionAsync('k', v3);
  assert.throws(() => st.version('k'), { code: 'SRD_NOT_FOUND' });
  await assert.rejects(st.versionAsync('k'), { code: 'SRD_NOT_FOUND' });
  await st.putIfAbsentAsync('k', 'again');
  st.deleteIfVersion('k', st.version('k'));
  assert.equal(st.exists('k'), false);

  for (const bad of [-1, 1.5, NaN, '3', -1n, 2n ** 64n]) {
    assert.throws(() => st.putIfVersion('k', bad, 'v'), { code: 'SRD_INVALID_ARGUMENT' });
  }
  assert.throws(() => st.putIfAbsent('', 'v'), { code: 'SRD_INVALID_ARGUMENT' });
  st.close();
});

test('a CAS counter incremented by many concurrent async calls loses nothing', async (t) => {
  const st = srd.open(path.join(tempDir(), 's.srd'));
  st.putIfAbsent('counter', '0');
  const workers = 32;
  const each = 40;
  let conflicts = 0;
  const worker = async () => {
    for (let i = 0; i < each;) {
      const { value, version } = await st.getWithVersionAsync('counter');
      try {
        await st.putIfVersionAsync('counter', version, String(Number(value) + 1));
        i++;
      } catch (err) {
        if (err.code !== 'SRD_CONFLICT' || err.errno !== 0) throw err;
        conflicts++;
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  assert.equal(st.get('counter').toString(), String(workers * each));
  t.diagnostic(`${workers} async callers x ${each} increments, ${conflicts} conflicts retried`);
  assert.ok(conflicts > 0, 'the callers raced');
  st.close();
});

test('a snapshot is frozen, outlives its store, and refuses writes', async () => {
  const st = srd.open(path.join(tempDir(), 's.srd'));
  st.put('a', 'old-a');
  st.put('b', 'old-b');
  const snap = st.snapshot();
  st.put('a', 'new-a');
  st.put('c', 'new-c');
  st.delete('b');
  st.compact();
  const check = () => {
    assert.equal(snap.get('a').toString(), 'old-a');
    assert.equal(snap.get('b').toString(), 'old-b');
    assert.equal(snap.exists('c'), false);
    assert.equal(snap.count(), 2);
  };
  check();
  assert.equal(st.get('a').toString(), 'new-a');
  const snap2 = snap.snapshot();
  assert.equal(snap2.get('b').toString(), 'old-b');
  snap2.close();
  st.close();
  check();
  assert.equal((await snap.getAsync('a')).toString(), 'old-a');
  const ro = { code: 'SRD_READ_ONLY', status: 6, errno: 0 };
  const v = snap.version('a');
  assert.throws(() => snap.put('a', 'x'), ro);
  assert.throws(() => snap.delete('a'), ro);
  assert.throws(() => snap.putIfAbsent('z', 'x'), ro);
  assert.throws(() => snap.putIfVersion('a', v, 'x'), ro);
  assert.throws(() => snap.deleteIfVersion('a', v), ro);
  assert.throws(() => snap.apply([{ op: 'put', key: 'a', value: 'x' }]), ro);
  assert.throws(() => snap.compact(), ro);
  await assert.rejects(snap.putAsync('a', 'x'), ro);
  await assert.rejects(snap.putIfVersionAsync('a', v, 'x'), ro);
  check();
  snap.close();
});

function backupValues(file) {
  const b = srd.open(file, { readOnly: true });
  try {
    const m = new Map();
    for (const [h, v] of b.entries()) m.set(h, v.toString());
    return m;
  } finally {
    b.close();
  }
}

function expected(want) {
  return new Map([...want].map(([k, v]) => [srd.hashKey(k), v]));
}

test('backup, then a second backup after more writes extends it', async () => {
  const dir = tempDir();
  const st = srd.open(path.join(dir, 's.srd'));
  const dst = path.join(dir, 'backup.srd');
  const want = new Map();
  for (let i = 0; i < 200; i++) {
    want.set(`k${i}`, String(i).repeat(50));
    st.put(`k${i}`, want.get(`k${i}`));
  }
  const calls = [];
  st.backup(dst, (done, total) => calls.push([done, total]));
  assert.ok(calls.length > 0);
  const [done, total] = calls[calls.length - 1];
  assert.ok(done === total && total > 0, `last progress ${done}/${total}`);
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] >= calls[i - 1][0]);
  assert.deepEqual(backupValues(dst), expected(want));
  const first = fs.readFileSync(dst);
  const ino = fs.statSync(dst).ino;

  for (let i = 200; i < 260; i++) {
    want.set(`k${i}`, `later-${i}`);
    st.put(`k${i}`, want.get(`k${i}`));
  }
  st.put('k0', 'overwritten');
  want.set('k0', 'overwritten');
  st.delete('k1');
  want.delete('k1');
  const asyncCalls = [];
  let settled = false;
  const p = st.backupAsync(dst, (d, t) => {
    assert.equal(settled, false, 'progress after the promise settled');
    asyncCalls.push([d, t]);
  }).then(() => { settled = true; });
  st.put('during', 'the backup'); // other calls go on meanwhile
  await p;
  assert.ok(asyncCalls.length > 0);
  const last = asyncCalls[asyncCalls.length - 1];
  assert.equal(last[0], last[1]);
  const after = backupValues(dst);
  after.delete(srd.hashKey('during')); // in or out, depending on timing
  assert.deepEqual(after, expected(want));
  const second = fs.readFileSync(dst);
  assert.ok(second.length > first.length, 'the second backup is longer');
  assert.ok(second.subarray(0, first.length).equals(first), 'and starts with the first');
  assert.equal(fs.statSync(dst).ino, ino, 'appended in place, not replaced');

  await st.backupAsync(path.join(dir, 'plain.srd')); // no progress function
  assert.equal(backupValues(path.join(dir, 'plain.srd')).size, st.count());

  // Each failure is its own call's: a destination in a missing directory.
  const bad = path.join(dir, 'missing', 'b.srd');
  for (const attempt of [() => st.backup(bad), () => st.backupAsync(bad)]) {
    let err;
    try {
      await attempt();
    } catch (e) {
      err = e;
    }
    assert.ok(err && err.code === 'SRD_IO' && err.osCode === 'ENOENT', String(err));
    assert.ok(err.message.includes(bad), err.message);
  }

  // A throwing progress function: its exception comes out, after the backup.
  assert.throws(() => st.backup(path.join(dir, 'p1.srd'), () => { throw new Error('boom'); }),
    /boom/);
  await assert.rejects(st.backupAsync(path.join(dir, 'p2.srd'), () => { throw new Error('bang'); }),
    /bang/);
  // The sync progress function runs inside the call: it may not use the store.
  let inner;
  st.backup(path.join(dir, 'p3.srd'), () => {
    try {
      st.get('k0');
    } catch (e) {
      inner = e;
    }
  });
  assert.equal(inner && inner.code, 'SRD_INVALID_ARGUMENT');
  assert.match(inner.message, /progress function/);
  st.close();
});

test('apply: mixed batches, later item wins, absent deletes skipped, invalid rejects all',
  async () => {
    const st = srd.open(path.join(tempDir(), 's.srd'));
    st.put('gone', 'x');
    st.put('twice', 'x');
    const deleted = st.apply([
      { op: 'put', key: 'a', value: '1' },
      { op: 'put', key: 'a', value: '2' },
      { op: 'delete', key: 'gone' },
      { op: 'delete', key: 'never-there' },
      { op: 'delete', key: 'twice' },
      { op: 'delete', key: 'twice' },
      { op: 'put', key: 'b', value: Buffer.from('b1') },
      { op: 'delete', key: 'b' },
      { op: 'put', key: Buffer.from('b'), value: new Uint8Array([98, 50]) },
    ]);
    assert.equal(deleted, 3);
    assert.equal(st.get('a').toString(), '2');
    assert.equal(st.get('b').toString(), 'b2');
    for (const k of ['gone', 'twice', 'never-there']) assert.equal(st.exists(k), false);
    assert.equal(st.apply([]), 0);
    assert.equal(await st.applyAsync([{ op: 'delete', key: 'a' }, { op: 'put', key: 'c', value: 'C' }]), 1);
    assert.equal(st.get('c').toString(), 'C');

    // The async batch copies its bytes when called.
    const key = Buffer.from('d');
    const value = Buffer.from('dd');
    const p = st.applyAsync([{ op: 'put', key, value }]);
    key.fill(0x7a);
    value.fill(0x7a);
    assert.equal(await p, 0);
    assert.equal(st.get('d').toString(), 'dd');

    const size = st.fileSize();
    const good = [{ op: 'put', key: 'new', value: 'v' }, { op: 'delete', key: 'c' }];
    for (const bad of [
      { op: 'put', key: '', value: 'v' },
      { op: 'put', key: 'k' },
      { op: 'put', key: 'k', value: Buffer.from([0]) },
      { op: 'delete', key: '' },
      { op: 'upsert', key: 'k', value: 'v' },
      { op: 'put', key: 42, value: 'v' },
      null,
    ]) {
      const check = (err) => {
        assert.equal(err.code, 'SRD_INVALID_ARGUMENT');
        assert.equal(err.status, 2);
        assert.match(err.message, /batch item 2/);
        return true;
      };
      assert.throws(() => st.apply([...good, bad]), check);
      await assert.rejects(st.applyAsync([...good, bad]), check);
    }
    assert.equal(st.fileSize(), size, 'rejected batches wrote nothing');
    assert.equal(st.exists('new'), false);
    assert.equal(st.get('c').toString(), 'C');
    st.close();
  });
