#!/usr/bin/env node
'use strict';
// Usage: node cli.js [--target HOST:PORT] info | put FILE | get ID OUT
// Prints the answer as one JSON object; exits 0 on success, 2 on bad usage, 1 when the node answers with an error
// or a transfer fails.
const { NodeClient, grpc } = require('./client');

const USAGE = 'usage: node cli.js [--target HOST:PORT] info | put FILE | get ID OUT';

function usage(message) {
  if (message) console.error(`p2p-node-client: ${message}`);
  console.error(USAGE);
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
      console.log(USAGE);
      process.exit(0);
    } else {
      rest.push(argv[i]);
    }
  }
  if (rest.length === 0) usage('expected a command');
  const [command, ...args] = rest;
  const arity = { info: 0, put: 1, get: 2 }[command];
  if (arity === undefined) usage(`unknown command '${command}'`);
  if (args.length !== arity) usage(`${command} takes ${arity} argument(s), got ${args.length}`);
  const client = new NodeClient(target);
  try {
    if (command === 'info') {
      console.log(JSON.stringify(await client.nodeInfo()));
    } else if (command === 'put') {
      const started = process.hrtime.bigint();
      const response = await client.putContent(args[0]);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(JSON.stringify({ ...response, file: args[0], seconds }));
    } else {
      const started = process.hrtime.bigint();
      const { header, written } = await client.getContent(args[0], args[1]);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(JSON.stringify({ content: header.content, offset: header.offset, length: header.length, file: args[1], bytesWritten: written, seconds }));
    }
  } catch (err) {
    if (typeof err.code === 'number') {
      const code = Object.keys(grpc.status).find((k) => grpc.status[k] === err.code) || err.code;
      console.error(`p2p-node-client: ${code}: ${err.details || err.message}`);
    } else {
      console.error(`p2p-node-client: ${err.message}`);
    }
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

main(process.argv.slice(2));
