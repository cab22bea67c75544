// The official Node client (@eventstore/db-client) against pbledger's KurrentDB gRPC endpoint, unmodified.
// Usage: node client.cjs CONNECTION_STRING. Prints what it checked; exits 1 at the first check that fails.
// Run by cmd/pbledger/nodeclient_test.go; installed by scripts/test-deps.sh (npm ci).
"use strict";
const {
  EventStoreDBClient, jsonEvent, NO_STREAM, START, END, FORWARDS, BACKWARDS, excludeSystemEvents,
  WrongExpectedVersionError,
} = require("@eventstore/db-client");
const { randomUUID } = require("crypto");

function check(ok, what) {
  if (!ok) throw new Error("check failed: " + what);
  console.log("ok: " + what);
}

async function collect(iter) {
  const out = [];
  for await (const e of iter) out.push(e);
  return out;
}

async function main() {
  const client = EventStoreDBClient.connectionString(process.argv[2]);
  const stream = "node-" + randomUUID();
  const events = [0, 1, 2].map((n) => jsonEvent({ type: "NodeThing", data: { n }, metadata: { by: "node" } }));

  const first = await client.appendToStream(stream, events, { expectedRevision: NO_STREAM });
  check(first.success && first.nextExpectedRevision === 2n, "append 3 events expecting no stream: next revision 2");
  const second = await client.appendToStream(stream, jsonEvent({ type: "NodeThing", data: { n: 3 } }), { expectedRevision: 2n });
  check(second.nextExpectedRevision === 3n && second.position.commit > first.position.commit, "append expecting revision 2: next revision 3, a later position");
  let wrong = null;
  try {
    await client.appendToStream(stream, jsonEvent({ type: "NodeThing", data: { n: 9 } }), { expectedRevision: 0n });
  } catch (e) {
    wrong = e;
  }
  check(wrong instanceof WrongExpectedVersionError && wrong.actualVersion === 3n, "append expecting a stale revision: WrongExpectedVersionError, actual 3");

  const fwd = await collect(client.readStream(stream, { direction: FORWARDS, fromRevision: START, maxCount: 10 }));
  check(fwd.length === 4 && fwd.every((e, i) => e.event.revision === BigInt(i) && e.event.data.n === i && e.event.type === "NodeThing"),
    "read the stream forwards: revisions 0..3 with their data");
  check(fwd[0].event.id === events[0].id && fwd[0].event.metadata.by === "node" && fwd[0].event.created > 0,
    "event IDs, metadata and created time come back");
  const bwd = await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 2 }));
  check(bwd.length === 2 && bwd[0].event.revision === 3n && bwd[1].event.revision === 2n, "read the stream backwards from the end: revisions 3, 2");
  const allBack = await collect(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
  check(allBack.length === 1 && allBack[0].event.streamId === stream && allBack[0].event.revision === 3n, "read $all backwards from the end: our last event");
  const allFwd = await collect(client.readAll({ direction: FORWARDS, fromPosition: START, maxCount: 5 }));
  check(allFwd.length === 5 && allFwd.every((e, i) => i === 0 || e.event.position.commit > allFwd[i - 1].event.position.commit),
    "read $all forwards from the start: pbledger's own log, in order");

  // A catch-up subscription to $all: everything already there, caught up, then a live event.
  const sub = client.subscribeToAll({ fromPosition: START, filter: excludeSystemEvents() });
  let caughtUp = false, seenOld = 0;
  const live = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no live event within 20 s")), 20000);
    sub.on("error", reject);
    sub.on("caughtUp", async () => {
      if (caughtUp) return;
      caughtUp = true;
      try {
        await client.appendToStream(stream, jsonEvent({ type: "NodeLive", data: { live: true } }), { expectedRevision: 3n });
      } catch (e) {
        reject(e);
      }
    });
    sub.on("data", (e) => {
      if (e.event.streamId !== stream) return;
      if (!caughtUp) { seenOld++; return; }
      clearTimeout(timer);
      resolve(e);
    });
  });
  await sub.unsubscribe();
  check(seenOld === 4, "the subscription caught up with the stream's 4 events");
  check(caughtUp && live.event.type === "NodeLive" && live.event.revision === 4n, "then received the live event appended after catching up");

  // A catch-up subscription to one stream.
  const ssub = client.subscribeToStream(stream, { fromRevision: START });
  const revs = [];
  for await (const e of ssub) {
    revs.push(e.event.revision);
    if (revs.length === 5) break;
  }
  await ssub.unsubscribe();
  check(revs.join(",") === "0,1,2,3,4", "a stream subscription delivers revisions 0..4");

  await client.dispose();
}

main().then(
  () => { console.log("PASS"); process.exit(0); },
  (e) => { console.error(e && e.stack || String(e)); process.exit(1); },
);
