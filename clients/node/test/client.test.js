'use strict';
// The Node client against a stand-in NodeApi served by grpc-js on 127.0.0.1 (random port): chunking, backpressure,
// ordering checks and the temporary file. The real gateway is exercised by system-tests (CliEndToEndTest).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { NodeClient, CHUNK_BYTES, loadApi, grpc } = require('../client');

function startFakeNode(behaviour = {}) {
  const contents = new Map();
  const received = [];
  const server = new grpc.Server();
  server.addService(loadApi('Buffer').NodeApi.service, {
    putContent(call, callback) {
      const parts = [];
      let start;
      call.on('data', (m) => {
        received.push(m);
        if (m.start) start = m.start; else parts.push(m.chunk);
      });
      call.on('end', () => {
        const data = Buffer.concat(parts);
        if (Number(start.expectedSizeBytes) !== data.length) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'size mismatch' });
          return;
        }
        const id = 'b' + crypto.createHash('sha256').update(data).digest('hex').slice(0, 55);
        contents.set(id, data);
        callback(null, { content: { contentId: id, sizeBytes: String(data.length), pieceCount: Math.ceil(data.length / CHUNK_BYTES) }, providersAnnounced: 1 });
      });
    },
    getContent(call) {
      const data = contents.get(call.request.contentId);
      if (!data) {
        call.emit('error', { code: grpc.status.NOT_FOUND, details: `no provider of ${call.request.contentId}` });
        return;
      }
      const messages = [{ header: { content: { contentId: call.request.contentId }, offset: '0', length: String(data.length) } }];
      for (let pos = 0; pos < data.length; pos += CHUNK_BYTES) {
        messages.push({ chunk: { offset: String(pos), data: data.subarray(pos, pos + CHUNK_BYTES) } });
      }
      for (const m of (behaviour.tamper || ((x) => x))(messages)) call.write(m);
      call.end();
    },
  });
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(err); else resolve({ server, port, contents, received });
    });
  });
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-node-client-'));
}

test('put streams 262,144-byte chunks after a start with the size; get writes them back in order', async () => {
  const node = await startFakeNode();
  const dir = tempDir();
  const file = path.join(dir, 'sample.bin');
  const data = crypto.randomBytes(3 * CHUNK_BYTES + 1000);
  fs.writeFileSync(file, data);
  const client = new NodeClient(`127.0.0.1:${node.port}`);
  try {
    const put = await client.putContent(file);
    assert.strictEqual(node.received[0].start.expectedSizeBytes, String(data.length));
    assert.strictEqual(node.received[0].start.metadata.name, 'sample.bin');
    assert.deepStrictEqual(node.received.slice(1).map((m) => m.chunk.length), [CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, 1000]);
    const out = path.join(dir, 'out.bin');
    const got = await client.getContent(put.content.contentId, out);
    assert.strictEqual(got.written, data.length);
    assert.ok(fs.readFileSync(out).equals(data));
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['out.bin', 'sample.bin']);
  } finally {
    client.close();
    node.server.forceShutdown();
  }
});

test('a short or disordered stream and NOT_FOUND leave no file behind', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'sample.bin');
  fs.writeFileSync(file, crypto.randomBytes(2 * CHUNK_BYTES));
  for (const [tamper, message] of [
    [(m) => m.slice(0, -1), /after 262144 of the 524288 bytes/],
    [(m) => [m[0], m[2], m[1]], /at byte 262144 where byte 0 was due/],
  ]) {
    const node = await startFakeNode({ tamper });
    const client = new NodeClient(`127.0.0.1:${node.port}`);
    try {
      const put = await client.putContent(file);
      await assert.rejects(client.getContent(put.content.contentId, path.join(dir, 'out.bin')), message);
      await assert.rejects(client.getContent('bnothere', path.join(dir, 'out.bin')), (err) => err.code === grpc.status.NOT_FOUND);
      assert.deepStrictEqual(fs.readdirSync(dir), ['sample.bin']);
    } finally {
      client.close();
      node.server.forceShutdown();
    }
  }
});
