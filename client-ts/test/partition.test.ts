import { test } from "node:test";
import assert from "node:assert/strict";
import { murmur2, partition, segment } from "../src/index.js";

// Kafka's own Utils.murmur2 and default partitioner (kafka-clients 4.3) on these keys, six partitions.
const KAFKA: [string, number, number][] = [
  ["", 275646681, 3],
  ["a", -1563381124, 4],
  ["ab", 316155434, 2],
  ["abc", 479470107, 3],
  ["abcd", -1323649548, 2],
  ["c1", 2069367011, 5],
  ["customer-42", -542987495, 3],
  ["21", -973932308, 0],
  ["\u00fcn\u00efc\u00f8d\u00e9 \ud83d\ude42", 643912274, 2],
  ["a/b\u0000c", 174286451, 5],
];

test("every key lands in the partition Kafka's default partitioner gives it", () => {
  for (const [key, hash, sixPartitions] of KAFKA) {
    assert.equal(murmur2(new TextEncoder().encode(key)), hash, JSON.stringify(key));
    assert.equal(partition(key, 6), sixPartitions, JSON.stringify(key));
  }
});

test("a key travels as one path segment, whatever it holds", () => {
  assert.equal(segment("a/b c"), "a%2Fb%20c");
  assert.equal(segment("it's (x)*!"), "it%27s%20%28x%29%2A%21");
  assert.equal(segment("ü~-._"), "%C3%BC~-._");
});
