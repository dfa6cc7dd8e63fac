// The benchmark peer: the chathulp protocol subset the load generator uses, on Node.js
// with the `ws` package (the common choice for chat widgets), storing nothing.
//
//   node server.js --listen 127.0.0.1:9444 --cert cert.pem --key key.pem
//
// Visitor `hello` -> `welcome` (+ `queued`), staff `login` -> `login_ok` (+ `synced`),
// `take` -> `conversation` to the counselor and `assigned` to the visitor, `send` ->
// `ack` to the sender and `message` to the peer, visitor `end` -> `ended`. Same TLS
// certificate (ECDSA P-256) and frame limit (16 KiB) as the relay. No password check, no
// queue broadcasts, no database. Logs `listening on https://ADDR` when ready.
'use strict';

const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');

const MAX_FRAME_BYTES = 16 * 1024;

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const listen = arg('--listen', '127.0.0.1:9444');
const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];

const server = https.createServer(
  {
    cert: fs.readFileSync(arg('--cert', 'cert.pem')),
    key: fs.readFileSync(arg('--key', 'key.pem')),
    ALPNProtocols: ['http/1.1'],
    minVersion: 'TLSv1.2',
  },
  (req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  },
);

const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });

// Waiting visitors in order, and every conversation by id.
const waiting = [];
const pairs = new Map();
let nextId = 0;

function send(ws, event) {
  if (ws && ws.readyState === 1) ws.send(JSON.stringify(event));
}

function conversationId() {
  nextId += 1;
  return nextId.toString(16).padStart(32, '0');
}

function visitor(ws) {
  let own = null;
  ws.on('message', (data, isBinary) => {
    let frame;
    try {
      frame = JSON.parse(isBinary ? '' : data.toString());
    } catch {
      send(ws, { type: 'error', code: 'bad_frame', message: 'bad frame' });
      return;
    }
    switch (frame.type) {
      case 'hello': {
        own = conversationId();
        waiting.push({ id: own, nickname: frame.nickname });
        pairs.set(own, { visitor: ws, staff: null, seq: 0 });
        send(ws, { type: 'welcome', protocol: 1, resume_token: '0'.repeat(64) });
        send(ws, { type: 'queued', position: waiting.length });
        break;
      }
      case 'send': {
        const pair = own && pairs.get(own);
        if (!pair) {
          send(ws, { type: 'error', code: 'hello_required', message: 'send hello first', client_id: frame.client_id });
          return;
        }
        pair.seq += 1;
        const atMs = Date.now();
        send(ws, { type: 'ack', client_id: frame.client_id, seq: pair.seq, at_ms: atMs });
        send(pair.staff, {
          type: 'message',
          conversation: own,
          message: { seq: pair.seq, from: 'visitor', text: frame.text, at_ms: atMs },
        });
        break;
      }
      case 'end': {
        end(own, 'visitor');
        own = null;
        break;
      }
      default:
        send(ws, { type: 'error', code: 'unknown_type', message: 'not supported by the peer' });
    }
  });
  ws.on('close', () => {
    if (own) drop(own);
  });
}

function staff(ws) {
  ws.on('message', (data, isBinary) => {
    let frame;
    try {
      frame = JSON.parse(isBinary ? '' : data.toString());
    } catch {
      send(ws, { type: 'error', code: 'bad_frame', message: 'bad frame' });
      return;
    }
    switch (frame.type) {
      case 'login':
        send(ws, {
          type: 'login_ok', protocol: 1, user: frame.user, role: 'counselor', token: '0'.repeat(64), capacity: 1000000,
        });
        send(ws, { type: 'synced', conversations: [] });
        break;
      case 'take': {
        const next = waiting.shift();
        if (!next) {
          send(ws, { type: 'error', code: 'queue_empty', message: 'nobody is waiting in this queue' });
          return;
        }
        const pair = pairs.get(next.id);
        if (!pair) return;
        pair.staff = ws;
        send(ws, {
          type: 'conversation',
          conversation: next.id,
          service: frame.service,
          nickname: next.nickname,
          intake: {},
          started_at_ms: Date.now(),
          messages: [],
          no_dossier: false,
          dossier_candidate: false,
        });
        send(pair.visitor, { type: 'assigned' });
        break;
      }
      case 'send': {
        const pair = pairs.get(frame.conversation);
        if (!pair || pair.staff !== ws) {
          send(ws, { type: 'error', code: 'not_found', message: 'no such conversation of yours', client_id: frame.client_id });
          return;
        }
        pair.seq += 1;
        const atMs = Date.now();
        send(ws, { type: 'ack', conversation: frame.conversation, client_id: frame.client_id, seq: pair.seq, at_ms: atMs });
        send(pair.visitor, { type: 'message', message: { seq: pair.seq, from: 'counselor', text: frame.text, at_ms: atMs } });
        break;
      }
      case 'end':
        end(frame.conversation, 'counselor');
        break;
      default:
        send(ws, { type: 'error', code: 'unknown_type', message: 'not supported by the peer' });
    }
  });
}

function drop(id) {
  const i = waiting.findIndex((w) => w.id === id);
  if (i >= 0) waiting.splice(i, 1);
  pairs.delete(id);
}

function end(id, by) {
  const pair = id && pairs.get(id);
  if (!pair) return;
  drop(id);
  send(pair.staff, { type: 'ended', conversation: id, by });
  send(pair.visitor, { type: 'ended', by });
}

server.on('upgrade', (req, socket, head) => {
  const path = (req.url || '').split('?')[0];
  const handler = path === '/ws/visitor' ? visitor : path === '/ws/staff' ? staff : null;
  if (!handler) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => handler(ws));
});

server.on('tlsClientError', () => {});

server.listen(port, host, () => {
  const a = server.address();
  console.error(`listening on https://${a.address}:${a.port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.error('peer stopped');
    process.exit(0);
  });
}
