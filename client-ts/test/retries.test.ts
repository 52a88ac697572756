import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PersonaClient, PersonaError } from "../src/index.js";

/** A stand-in instance that answers as `handle` says: the cases a real cluster cannot be made to show on demand. */
async function instance(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test("a 503 is waited out for as long as its Retry-After says, then answered", async () => {
  let asked = 0;
  const times: number[] = [];
  const server = await instance((req, res) => {
    times.push(Date.now());
    asked++;
    if (asked === 1) {
      res.writeHead(503, { "Content-Type": "application/json", "Retry-After": "1" });
      res.end(JSON.stringify({ error: "unavailable", message: "its partition is moving" }));
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json", ETag: '"1.a"' });
    res.end(JSON.stringify({ email: "a@example.com" }));
  });
  try {
    const client = new PersonaClient({ endpoints: [server.url], apiKey: "k" });
    const record = await client.find("customers", "email", "a@example.com");
    assert.equal(asked, 2);
    assert.ok(times[1] - times[0] >= 950, `waited ${times[1] - times[0]} ms`);
    assert.deepEqual(record?.data, { email: "a@example.com" });
  } finally {
    await server.close();
  }
});

test("a 503 that outlasts the retry budget is thrown with its code, and a 4xx at once", async () => {
  let asked = 0;
  const server = await instance((req, res) => {
    asked++;
    const forbidden = req.url?.includes("secret") ?? false;
    res.writeHead(forbidden ? 403 : 503, { "Content-Type": "application/json", "Retry-After": "1" });
    res.end(JSON.stringify({ error: forbidden ? "forbidden" : "unavailable", message: "no" }));
  });
  try {
    const client = new PersonaClient({ endpoints: [server.url], apiKey: "k", maxAttempts: 5, maxRetryWaitMs: 300 });
    await assert.rejects(client.find("customers", "email", "x"), (e: unknown) => e instanceof PersonaError && e.status === 503 && e.code === "unavailable");
    assert.ok(asked <= 3, `asked ${asked} times within 300 ms of budget`);
    asked = 0;
    await assert.rejects(client.find("secret", "email", "x"), (e: unknown) => e instanceof PersonaError && e.status === 403);
    assert.equal(asked, 1, "a refusal is not retried");
  } finally {
    await server.close();
  }
});

test("an instance that cannot be reached is passed over for the next", async () => {
  const server = await instance((req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ id: 7 }));
  });
  try {
    const client = new PersonaClient({ endpoints: ["http://127.0.0.1:1", server.url], apiKey: "k" });
    assert.deepEqual((await client.find("customers", "email", "x"))?.data, { id: 7 });
  } finally {
    await server.close();
  }
});

test("the options are checked when the client is made", () => {
  assert.throws(() => new PersonaClient({ endpoints: [], apiKey: "k" }), /endpoints/);
  assert.throws(() => new PersonaClient({ endpoints: ["http://a:1", "https://b:1"], apiKey: "k" }), /all http or all https/);
  assert.throws(() => new PersonaClient({ endpoints: ["http://a:1"], apiKey: " " }), /apiKey/);
});
