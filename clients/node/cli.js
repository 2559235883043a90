#!/usr/bin/env node
'use strict';
// Usage: node cli.js [--target HOST:PORT] info
// Prints the answer as JSON; exits 0 on success, 2 on bad usage, 1 when the node answers with an error.
const { NodeClient, grpc } = require('./client');

function usage(message) {
  if (message) console.error(`p2p-node-client: ${message}`);
  console.error('usage: node cli.js [--target HOST:PORT] info');
  process.exit(2);
}

async function main(argv) {
  let target = '127.0.0.1:7000';
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target') {
      if (i + 1 >= argv.length) usage('--target needs HOST:PORT');
      target = argv[++i];
    } else if (argv[i] === '-h' || argv[i] === '--help') {
      usage();
    } else {
      rest.push(argv[i]);
    }
  }
  if (rest.length !== 1) usage('expected one command');
  const client = new NodeClient(target);
  try {
    if (rest[0] === 'info') {
      const info = await client.nodeInfo();
      console.log(JSON.stringify(info));
    } else {
      usage(`unknown command '${rest[0]}'`);
    }
  } catch (err) {
    const code = Object.keys(grpc.status).find((k) => grpc.status[k] === err.code) || err.code;
    console.error(`p2p-node-client: ${code}: ${err.details || err.message}`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

main(process.argv.slice(2));
