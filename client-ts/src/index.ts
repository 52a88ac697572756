/**
 * A client of a Persona cluster for Node.js (18 and later) and browsers, the TypeScript twin of the JVM client
 * (`dev.persona.client.PersonaClient`). A lookup by key goes straight to the instance that owns the key, as the
 * cluster's partition map (`GET /v1/collections/{c}/partitions`) names it, so it costs the cluster no forward; the map
 * is read on first use, again every `mapRefreshMs` and as soon as an answer names another owner (`X-Persona-Owner`) or
 * an instance cannot be reached. A 503 is retried after its `Retry-After`, on the next instance, within
 * `maxRetryWaitMs`; a lookup asked before is asked with its ETag and a 304 answered from memory. No dependencies:
 * the platform's `fetch`.
 *
 * ```ts
 * const persona = new PersonaClient({ endpoints: ["http://persona-0:8080", "http://persona-1:8080"], apiKey: process.env.PERSONA_API_KEY! });
 * const customer = await persona.get("customers", "42"); // null when there is no such record
 * ```
 */

/** How a client reaches the cluster. */
export interface PersonaClientOptions {
  /** Instances to start from (any of them; one is enough, more survive its loss), as `http(s)://host:port`. */
  endpoints: string[];
  /** The API key, sent as a bearer token. */
  apiKey: string;
  /** To wait for an answer; 2,000 ms unless set. */
  timeoutMs?: number;
  /** Calls per lookup at most, the first included; 3 unless set. */
  maxAttempts?: number;
  /** How long a lookup waits, in all, on `Retry-After`s before it gives up; 5,000 ms unless set. */
  maxRetryWaitMs?: number;
  /** How old a partition map may grow before it is read again; 30,000 ms unless set. */
  mapRefreshMs?: number;
  /** Records kept with their ETags, least recently asked for dropped first; 10,000 unless set (0: none). */
  etagCacheSize?: number;
  /** The `fetch` to call with; the platform's unless set. */
  fetch?: typeof fetch;
}

/** A record as the cluster answered it. */
export interface PersonaRecord {
  /** Its fields, as the API answered them. */
  data: Record<string, unknown>;
  /** Its ETag, sent back as `If-None-Match` the next time it is asked for. */
  etag: string | null;
  /** `host:port` of the instance holding its active copy, when the answer named it. */
  owner: string | null;
  /** Read from a standby copy (`X-Persona-Stale`). */
  stale: boolean;
  /** That copy's offset lag. */
  lag: number;
  /** Answered 304: the record is the one asked for before, from memory. */
  unchanged: boolean;
}

/** What the cluster refused, or could not answer within the retries. */
export class PersonaError extends Error {
  constructor(
    /** The HTTP status; 0 when no instance answered. */
    readonly status: number,
    /** The API's error code (`record_not_found`, `unauthorized`, ...), or `http_<status>`, `unreachable`. */
    readonly code: string,
    message: string,
    /** How long the cluster asked to wait before asking again, when it said. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "PersonaError";
  }
}

/** Which instance holds the active copy of each partition of a collection. */
interface PartitionMap {
  primaryIndex: string;
  partitions: number;
  actives: (string | null)[];
  readAt: number;
  outdated: boolean;
}

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

const OWNER_HEADER = "X-Persona-Owner";

export class PersonaClient {
  private readonly endpoints: string[];
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRetryWaitMs: number;
  private readonly mapRefreshMs: number;
  private readonly etagCacheSize: number;
  private readonly fetch: typeof fetch;
  private readonly scheme: string;
  private readonly maps = new Map<string, PartitionMap>();
  /** Insertion order is recency: a hit is moved to the end, the first is the least recently asked for. */
  private readonly etags = new Map<string, PersonaRecord>();
  private next = 0;

  constructor(options: PersonaClientOptions) {
    if (!options.endpoints || options.endpoints.length === 0) {
      throw new Error("endpoints: name at least one instance, as http(s)://host:port");
    }
    this.endpoints = options.endpoints.map((url) => url.replace(/\/+$/, ""));
    const schemes = new Set(this.endpoints.map((url) => new URL(url).protocol));
    if (schemes.size !== 1) {
      throw new Error("endpoints: all http or all https, as the cluster serves");
    }
    if (!options.apiKey || options.apiKey.trim() === "") {
      throw new Error("apiKey: the key the client sends (prs_...)");
    }
    this.authorization = `Bearer ${options.apiKey}`;
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    if (this.maxAttempts < 1) {
      throw new Error("maxAttempts: at least 1");
    }
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 5_000;
    this.mapRefreshMs = options.mapRefreshMs ?? 30_000;
    this.etagCacheSize = options.etagCacheSize ?? 10_000;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.scheme = [...schemes][0];
  }

  /**
   * The record with primary key `id` in `collection`, asked of the instance that owns it; null when there is no such
   * record (404). Throws a {@link PersonaError} when the cluster refuses (4xx) or cannot answer within the retries.
   */
  async get(collection: string, id: string): Promise<PersonaRecord | null> {
    const map = await this.map(collection);
    const owner = map.actives[partition(id, map.partitions)];
    return this.lookup(collection, map.primaryIndex, id, owner);
  }

  /**
   * The instance {@link get} would ask for `id` now (`http://host:port`), from the partition map: for a proxy or a
   * load balancer that sends each key to its owner; null while the partition has no owner (a rebalance).
   */
  async ownerOf(collection: string, id: string): Promise<string | null> {
    const map = await this.map(collection);
    return map.actives[partition(id, map.partitions)];
  }

  /**
   * The record whose secondary index `index` holds `value`: asked of any instance (the index entry and the record may
   * live on different ones, and the instance asked finds both).
   */
  async find(collection: string, index: string, value: string): Promise<PersonaRecord | null> {
    return this.lookup(collection, index, value, null);
  }

  private async lookup(collection: string, index: string, value: string, owner: string | null): Promise<PersonaRecord | null> {
    const path = `/v1/collections/${segment(collection)}/records/${segment(index)}/${segment(value)}`;
    const cacheKey = `${collection}\u0000${index}\u0000${value}`;
    const deadline = Date.now() + this.maxRetryWaitMs;
    let target = owner ?? this.nextEndpoint();
    let last: PersonaError | null = null;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const cached = this.etags.get(cacheKey);
      let answer: Answer;
      try {
        answer = await this.call(target + path, cached?.etag ?? null);
      } catch (e) {
        // Unreachable: the map is likely out of date; the next instance is asked (it forwards to the owner).
        this.maps.delete(collection);
        last = new PersonaError(0, "unreachable", `${target} could not be reached: ${(e as Error).message}`);
        target = this.nextEndpoint();
        continue;
      }
      if (answer.status === 200 || answer.status === 304) {
        const answeredOwner = answer.headers.get(OWNER_HEADER);
        if (owner !== null && answeredOwner !== null && new URL(owner).host !== answeredOwner) {
          // Answered all the same (forwarded); the owner moved, so the map is read again next time.
          const map = this.maps.get(collection);
          if (map) {
            map.outdated = true;
          }
        }
        if (answer.status === 304 && cached) {
          this.remember(cacheKey, cached);
          return { ...cached, unchanged: true };
        }
        const record: PersonaRecord = {
          data: JSON.parse(answer.body) as Record<string, unknown>,
          etag: answer.headers.get("ETag"),
          owner: answeredOwner,
          stale: answer.headers.get("X-Persona-Stale") === "true",
          lag: Number(answer.headers.get("X-Persona-Lag") ?? 0) || 0,
          unchanged: false,
        };
        if (record.etag !== null) {
          this.remember(cacheKey, record);
        }
        return record;
      }
      if (answer.status === 404) {
        this.etags.delete(cacheKey);
        const notFound = error(answer);
        if (notFound.code === "record_not_found") {
          return null;
        }
        throw notFound;
      }
      last = error(answer);
      if (answer.status !== 503) {
        throw last;
      }
      // 503: the owner cannot answer right now (restarting, rebalancing). Wait as told, within the budget, and ask the
      // next instance, which may hold a standby copy.
      const wait = Math.min(Math.max(0, last.retryAfterMs ?? 1_000), deadline - Date.now());
      if (wait <= 0 && attempt > 1) {
        break;
      }
      await sleep(Math.max(0, wait));
      this.maps.delete(collection);
      target = this.nextEndpoint();
    }
    throw last ?? new PersonaError(0, "unreachable", "no instance answered");
  }

  private remember(cacheKey: string, record: PersonaRecord): void {
    if (this.etagCacheSize <= 0) {
      return;
    }
    this.etags.delete(cacheKey);
    this.etags.set(cacheKey, record);
    if (this.etags.size > this.etagCacheSize) {
      this.etags.delete(this.etags.keys().next().value as string);
    }
  }

  private async call(url: string, etag: string | null): Promise<Answer> {
    const headers: Record<string, string> = { Authorization: this.authorization, Accept: "application/json" };
    if (etag !== null) {
      headers["If-None-Match"] = etag;
    }
    const response = await this.fetch(url, { headers, redirect: "manual", signal: AbortSignal.timeout(this.timeoutMs) });
    return { status: response.status, body: await response.text(), headers: response.headers };
  }

  /** The partition map of `collection`, read when missing, old or outdated. */
  private async map(collection: string): Promise<PartitionMap> {
    const known = this.maps.get(collection);
    if (known && !known.outdated && Date.now() - known.readAt < this.mapRefreshMs) {
      return known;
    }
    let last: PersonaError | null = null;
    for (let attempt = 0; attempt < Math.max(this.maxAttempts, this.endpoints.length); attempt++) {
      const endpoint = this.nextEndpoint();
      let answer: Answer;
      try {
        answer = await this.call(`${endpoint}/v1/collections/${segment(collection)}/partitions`, null);
      } catch (e) {
        last = new PersonaError(0, "unreachable", `${endpoint} could not be reached: ${(e as Error).message}`);
        continue;
      }
      if (answer.status !== 200) {
        last = error(answer);
        if (answer.status !== 503) {
          throw last;
        }
        continue;
      }
      const map = partitionMap(JSON.parse(answer.body), this.scheme);
      this.maps.set(collection, map);
      return map;
    }
    if (known) {
      return known;
    }
    throw last ?? new PersonaError(0, "unreachable", "no instance answered");
  }

  private nextEndpoint(): string {
    const endpoint = this.endpoints[this.next % this.endpoints.length];
    this.next = (this.next + 1) % this.endpoints.length;
    return endpoint;
  }
}

function partitionMap(answer: { partitions?: number; primaryIndex?: string; owners?: { partition?: number; active?: string | null }[] },
                      scheme: string): PartitionMap {
  const partitions = answer.partitions ?? 0;
  if (partitions <= 0 || !answer.primaryIndex) {
    throw new PersonaError(0, "unexpected_answer", `the partition map names no partitions or primary index: ${JSON.stringify(answer)}`);
  }
  const actives: (string | null)[] = new Array(partitions).fill(null);
  for (const owner of answer.owners ?? []) {
    const p = owner.partition ?? -1;
    if (p >= 0 && p < partitions && owner.active) {
      actives[p] = `${scheme}//${owner.active}`;
    }
  }
  return { primaryIndex: answer.primaryIndex, partitions, actives, readAt: Date.now(), outdated: false };
}

/** The error an answer carries: the API's `{"error", "message"}`, or its status and text (a proxy's page). */
function error(answer: Answer): PersonaError {
  let code = `http_${answer.status}`;
  let message = answer.body;
  try {
    const body = JSON.parse(answer.body) as { error?: string; message?: string };
    code = body.error ?? code;
    message = body.message ?? message;
  } catch {
    // Not JSON: the status and the text say it.
  }
  const retryAfter = answer.headers.get("Retry-After");
  let retryAfterMs: number | null = null;
  if (retryAfter !== null) {
    const seconds = Number(retryAfter.trim());
    retryAfterMs = Number.isFinite(seconds) && retryAfter.trim() !== "" ? seconds * 1_000 : 1_000;
  }
  return new PersonaError(answer.status, code, message, retryAfterMs);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `text` as one path segment: every byte but RFC 3986's unreserved characters percent-encoded. */
export function segment(text: string): string {
  // encodeURIComponent leaves !'()* as they are; RFC 3986 reserves them.
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Kafka's default partitioner, which places every key of a collection: `(murmur2(utf8(key)) & 0x7fffffff) % n`. */
export function partition(key: string, partitions: number): number {
  return (murmur2(new TextEncoder().encode(key)) & 0x7fffffff) % partitions;
}

/** Kafka's `Utils.murmur2`: 32-bit MurmurHash2 with Kafka's seed, as a signed 32-bit number. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) | ((data[i4 + 1] & 0xff) << 8) | ((data[i4 + 2] & 0xff) << 16) | ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  switch (length % 4) {
    case 3:
      h ^= (data[tail + 2] & 0xff) << 16;
    // falls through
    case 2:
      h ^= (data[tail + 1] & 0xff) << 8;
    // falls through
    case 1:
      h ^= data[tail] & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
