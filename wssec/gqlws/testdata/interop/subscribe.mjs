// subscribe.mjs: subscribe to a graphql-transport-ws endpoint with the
// reference client (npm graphql-ws), print the first event as JSON on
// stdout, and exit.
//
// Usage:
//   node subscribe.mjs <url> [token] [document] [variables-json] [connection-params-json]
// or the environment variables GQL_URL, GQL_TOKEN, GQL_DOCUMENT,
// GQL_VARIABLES, GQL_CONNECTION_PARAMS (arguments win). GQL_TIMEOUT_MS
// bounds the wait (default 10000, at most 10000). connection-params-json, if
// given, is the connection_init payload as is (any credential shape, e.g.
// '{"authToken":"<t>"}' or '{"headers":{"Authorization":"Bearer <t>"}}');
// otherwise the token, if any, is sent as {"Authorization": "Bearer <token>"}.
//
// Exit codes: 0 one event printed; 1 error (GraphQL error, closed
// connection, bad arguments); 2 timeout.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [argURL, argToken, argDoc, argVars, argParams] = process.argv.slice(2);
const url = argURL || process.env.GQL_URL;
const token = argToken ?? process.env.GQL_TOKEN ?? '';
const query = argDoc || process.env.GQL_DOCUMENT;
const varsText = argVars || process.env.GQL_VARIABLES || '{}';
const paramsText = argParams || process.env.GQL_CONNECTION_PARAMS || '';
const timeoutMs = Math.min(Number(process.env.GQL_TIMEOUT_MS || 10000), 10000);

function fail(code, message) {
  process.stderr.write(`subscribe.mjs: ${message}\n`);
  process.exit(code);
}

if (!url || !query) {
  fail(1, 'usage: node subscribe.mjs <url> [token] [document] [variables-json] [connection-params-json]');
}
let variables;
try {
  variables = JSON.parse(varsText);
} catch (e) {
  fail(1, `variables are not JSON: ${e.message}`);
}
let connectionParams = token ? { Authorization: `Bearer ${token}` } : {};
if (paramsText) {
  try {
    connectionParams = JSON.parse(paramsText);
  } catch (e) {
    fail(1, `connection params are not JSON: ${e.message}`);
  }
}

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: true,
  retryAttempts: 0,
  connectionParams,
  on: {
    closed: (event) => {
      if (!done) fail(1, `connection closed: ${event.code} ${event.reason}`);
    },
  },
});

let done = false;
const timer = setTimeout(() => fail(2, `no event within ${timeoutMs} ms`), timeoutMs);

client.subscribe(
  { query, variables },
  {
    next: (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      process.stdout.write(JSON.stringify(result) + '\n');
      if (result.errors) process.exitCode = 1;
      client.dispose();
      setImmediate(() => process.exit());
    },
    error: (err) => {
      const detail = err && err.code ? `${err.code} ${err.reason}` : JSON.stringify(err) || String(err);
      fail(1, `subscription error: ${detail}`);
    },
    complete: () => {
      if (!done) fail(1, 'subscription completed without an event');
    },
  },
);
