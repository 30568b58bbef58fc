'use strict';
const { AsyncLocalStorage } = require('node:async_hooks');
const { randomUUID } = require('node:crypto');

const storage = new AsyncLocalStorage();

function requestContext({ header = 'x-request-id', generate = randomUUID, setResponseHeader = true } = {}) {
  const name = header.toLowerCase();
  return function requestContextMiddleware(req, res, next) {
    const incoming = req.headers[name];
    const id = typeof incoming === 'string' && incoming.length <= 200 ? incoming : generate();
    if (setResponseHeader) res.setHeader(header, id);
    storage.run({ id, startedAt: Date.now() }, next);
  };
}

function getContext() {
  return storage.getStore();
}

function setContextValue(key, value) {
  const ctx = storage.getStore();
  if (!ctx) throw new Error('setContextValue called outside a request');
  ctx[key] = value;
}

module.exports = { requestContext, getContext, setContextValue };
