'use strict';
// A p2p-suite client for Node.js: loads the .proto files of this repository (proto/src/main/proto) at run time
// with @grpc/proto-loader; nothing is generated or copied.
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.resolve(__dirname, '../../proto/src/main/proto');
const MAX_MESSAGE_BYTES = 1048576; // the limit every p2p-suite server applies (README, "Limits")

function loadApi() {
  const definition = protoLoader.loadSync('p2p/gateway/v1/node_api.proto', {
    includeDirs: [PROTO_ROOT],
    keepCase: false,
    longs: String,
    bytes: String, // base64 in JSON output
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).p2p.gateway.v1;
}

/** A client of one node's gateway, e.g. new NodeClient('127.0.0.1:7000'). */
class NodeClient {
  constructor(target, options = {}) {
    const api = loadApi();
    this.deadlineMs = options.deadlineMs || 10000;
    this.stub = new api.NodeApi(target, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
  }

  /** The node's ID, version, readiness and the state of each of its services. */
  nodeInfo() {
    return new Promise((resolve, reject) => {
      this.stub.nodeInfo({}, { deadline: Date.now() + this.deadlineMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  close() {
    this.stub.close();
  }
}

module.exports = { NodeClient, PROTO_ROOT, grpc };
