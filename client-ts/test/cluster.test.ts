import { test } from "node:test";
import assert from "node:assert/strict";
import { PersonaClient } from "../src/index.js";

// Run by TypeScriptClientIT against a real cluster of two instances; skipped when it does not say where one is.
const urls = process.env.PERSONA_URLS?.split(",") ?? [];
const apiKey = process.env.PERSONA_API_KEY ?? "";
const records = Number(process.env.PERSONA_RECORDS ?? 0);
const skip = urls.length === 0 ? "PERSONA_URLS names no cluster" : false;

/** The sum of a Prometheus counter over every instance. */
async function counter(name: string): Promise<number> {
  let sum = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${apiKey}` } })).text();
    for (const line of text.split("\n")) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
        sum += Number(line.substring(line.lastIndexOf(" ") + 1));
      }
    }
  }
  return sum;
}

test("every lookup by key goes to its owner, so that no instance forwards one", { skip }, async () => {
  const client = new PersonaClient({ endpoints: urls, apiKey, maxAttempts: 50, maxRetryWaitMs: 60_000 });
  const forwardedBefore = await counter("persona_lookups_forwarded_total");
  const owners = new Set<string>();
  for (let i = 0; i < records; i++) {
    const record = await client.get("customers", `c${i}`);
    assert.ok(record, `c${i}`);
    assert.equal(record.data.full_name, `Customer ${i}`);
    assert.equal(`http://${record.owner}`, await client.ownerOf("customers", `c${i}`), `c${i} was asked of its owner`);
    owners.add(record.owner ?? "");
  }
  assert.equal(owners.size, 2, "both instances own keys and were asked");
  assert.equal(await counter("persona_lookups_forwarded_total"), forwardedBefore, "no lookup was forwarded");
});

test("a record asked again is revalidated with its ETag and answered from memory", { skip }, async () => {
  const client = new PersonaClient({ endpoints: urls, apiKey, maxAttempts: 50, maxRetryWaitMs: 60_000 });
  const first = await client.get("customers", "c1");
  const again = await client.get("customers", "c1");
  assert.equal(first?.unchanged, false);
  assert.equal(again?.unchanged, true);
  assert.deepEqual(again?.data, first?.data);
});

test("a record that does not exist is null, and a secondary index finds a record on any instance", { skip }, async () => {
  const client = new PersonaClient({ endpoints: urls, apiKey, maxAttempts: 50, maxRetryWaitMs: 60_000 });
  assert.equal(await client.get("customers", "nobody"), null);
  const byEmail = await client.find("customers", "email", "c3@example.com");
  assert.equal(byEmail?.data.full_name, "Customer 3");
});
