'use strict';
const test = require('node:test');
const assert = require('node:assert');
const express = require('express');
const request = require('supertest');
const { requestContext, getContext, setContextValue } = require('..');

function app(opts) {
  const a = express();
  a.use(requestContext(opts));
  a.get('/', async (req, res) => {
    await new Promise((r) => setTimeout(r, 5));
    setContextValue('user', 'ada');
    res.json(getContext());
  });
  return a;
}

test('reuses the incoming header', async () => {
  const res = await request(app()).get('/').set('x-request-id', 'abc');
  assert.equal(res.body.id, 'abc');
  assert.equal(res.headers['x-request-id'], 'abc');
});

test('generates an id and keeps it across awaits', async () => {
  const res = await request(app({ generate: () => 'gen-1' })).get('/');
  assert.equal(res.body.id, 'gen-1');
  assert.equal(res.body.user, 'ada');
});

test('no context outside a request', () => {
  assert.equal(getContext(), undefined);
  assert.throws(() => setContextValue('k', 1), /outside a request/);
});
