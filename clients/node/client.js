'use strict';
// A p2p-suite client for Node.js: loads the .proto files of this repository (proto/src/main/proto) at run time
// with @grpc/proto-loader; nothing is generated or copied.
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { once } = require('events');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.resolve(__dirname, '../../proto/src/main/proto');
const MAX_MESSAGE_BYTES = 1048576; // the limit every p2p-suite server applies (README, "Limits")
const CHUNK_BYTES = 262144; // one piece: the recommended PutContent chunk (node_api.proto)

const loaded = {};
// bytesAs 'String': bytes fields arrive as base64 (for JSON output); 'Buffer': as Buffers (content data).
function loadApi(bytesAs = 'String') {
  if (!loaded[bytesAs]) {
    const definition = protoLoader.loadSync('p2p/gateway/v1/node_api.proto', {
      includeDirs: [PROTO_ROOT],
      keepCase: false,
      longs: String,
      bytes: bytesAs === 'Buffer' ? Buffer : String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    loaded[bytesAs] = grpc.loadPackageDefinition(definition).p2p.gateway.v1;
  }
  return loaded[bytesAs];
}

const CHANNEL_OPTIONS = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
};

/** A client of one node's gateway, e.g. new NodeClient('127.0.0.1:7000'). */
class NodeClient {
  constructor(target, options = {}) {
    this.deadlineMs = options.deadlineMs || 10000;
    this.stub = new (loadApi('String').NodeApi)(target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    // Content calls carry bytes: a stub whose bytes fields are Buffers (same target and options, so grpc-js
    // shares the connection).
    this.contentStub = new (loadApi('Buffer').NodeApi)(target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  /** The node's ID, version, readiness and the state of each of its services. */
  nodeInfo() {
    return new Promise((resolve, reject) => {
      this.stub.nodeInfo({}, { deadline: Date.now() + this.deadlineMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /**
   * Publishes a file (PutContent, client streaming): a start message with its name and size, then the file in
   * 262,144-byte chunks, each written only when the call's buffer has room (write() returning false waits for
   * 'drain'), so the file is never held in memory whole. Resolves with the PutContentResponse.
   */
  async putContent(file, metadata = {}) {
    const handle = await fs.promises.open(file, 'r');
    try {
      const { size } = await handle.stat();
      let call;
      const response = new Promise((resolve, reject) => {
        call = this.contentStub.putContent((err, res) => (err ? reject(err) : resolve(res)));
      });
      let failed = false; // the node answered (with an error) before the end: stop reading
      response.then(() => { failed = true; }, () => { failed = true; });
      call.on('error', () => {}); // the status reaches the callback above
      call.write({
        start: {
          metadata: { name: metadata.name ?? path.basename(file), mediaType: metadata.mediaType || '', tags: metadata.tags || [] },
          expectedSizeBytes: String(size),
        },
      });
      let sent = 0;
      while (!failed) {
        const chunk = Buffer.allocUnsafe(CHUNK_BYTES); // a fresh buffer each time: write() keeps a reference
        const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) break;
        sent += bytesRead;
        if (!call.write({ chunk: bytesRead === CHUNK_BYTES ? chunk : chunk.subarray(0, bytesRead) })) {
          await Promise.race([once(call, 'drain'), response.then(() => {}, () => {})]);
        }
      }
      if (!failed) {
        if (sent !== size) {
          call.cancel();
          throw new Error(`${file} changed while it was read: ${size} bytes at the start, ${sent} read`);
        }
        call.end();
      }
      return await response;
    } finally {
      await handle.close();
    }
  }

  /**
   * Fetches a content (GetContent, server streaming) into `out`: chunks are written in order to a temporary
   * file next to it (pausing the call while the file catches up), checked against the header (contiguous,
   * exactly `length` bytes), then renamed to `out`. Resolves with { header, written }.
   */
  async getContent(contentId, out, options = {}) {
    const target = path.resolve(out);
    const partial = path.join(path.dirname(target), `.${path.basename(target)}.p2p-${crypto.randomBytes(6).toString('hex')}.part`);
    const request = { contentId, progress: Boolean(options.onProgress) };
    if (options.range) request.range = { offset: String(options.range.offset), length: String(options.range.length || 0) };
    const call = this.contentStub.getContent(request);
    const file = fs.createWriteStream(partial, { flags: 'wx' });
    let header = null;
    let next = 0n;
    let written = 0;
    try {
      for await (const message of call) {
        if (message.header) {
          if (header) throw new Error('the node sent a second header');
          header = message.header;
          next = BigInt(header.offset);
        } else if (message.progress) {
          if (options.onProgress) options.onProgress(message.progress);
        } else if (message.chunk) {
          if (!header) throw new Error('the node sent data before the header');
          if (BigInt(message.chunk.offset) !== next) {
            throw new Error(`the node sent data at byte ${message.chunk.offset} where byte ${next} was due`);
          }
          const data = message.chunk.data;
          written += data.length;
          next += BigInt(data.length);
          if (BigInt(written) > BigInt(header.length)) throw new Error(`the node sent more than the ${header.length} bytes its header announced`);
          if (!file.write(data)) await once(file, 'drain'); // the for-await loop stops reading meanwhile
        }
      }
      if (!header) throw new Error('the node sent no header');
      if (BigInt(written) !== BigInt(header.length)) {
        throw new Error(`the node ended the stream after ${written} of the ${header.length} bytes its header announced`);
      }
      file.end();
      await once(file, 'finish');
      await fs.promises.rename(partial, target);
      return { header, written };
    } catch (err) {
      call.cancel();
      file.destroy();
      await fs.promises.rm(partial, { force: true });
      throw err;
    }
  }

  close() {
    this.stub.close();
    this.contentStub.close();
  }
}

module.exports = { NodeClient, PROTO_ROOT, CHUNK_BYTES, loadApi, grpc };
