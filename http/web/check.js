// Checks a ballot receipt in the browser: the leaf's bytes hash to the receipt's leaf hash (SHA-256, RFC 6962
// leaf hashing), the inclusion proof leads from that leaf to the root of a checkpoint (RFC 9162 §2.1.3.2), and
// the checkpoint is signed by the log's Ed25519 key (a C2SP signed note). WebCrypto does the hashing and the
// signature check; nothing here trusts the server's own claims.
"use strict";
(function () {
  const form = document.getElementById("check");
  const result = document.getElementById("result");
  const steps = document.getElementById("steps");
  const enc = new TextEncoder();

  function b64(s) {
    const bin = atob(s.trim());
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function same(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  async function sha256(...parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const buf = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { buf.set(p, o); o += p.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  }
  const leafHash = (bytes) => sha256(Uint8Array.of(0), bytes);
  const nodeHash = (l, r) => sha256(Uint8Array.of(1), l, r);

  // RFC 9162, 2.1.3.2: verifying an inclusion proof.
  async function rootFromProof(index, size, hash, proof) {
    if (index >= size) return null;
    let fn = index, sn = size - 1, r = hash;
    for (const p of proof) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  // A C2SP signed note: the text, a blank line, then lines "— name base64(keyhash(4) || signature)".
  async function checkNote(note, vkey) {
    // name+hash+key, where the base64 key may itself contain "+".
    const v = vkey.trim(), i = v.indexOf("+"), j = v.indexOf("+", i + 1);
    if (i <= 0 || j !== i + 9) throw new Error(M("keyForm", "the signature key is not of the form name+hash+key"));
    const name = v.slice(0, i), hashHex = v.slice(i + 1, j), keyB64 = v.slice(j + 1);
    const raw = b64(keyB64);
    if (raw.length !== 33 || raw[0] !== 1) throw new Error(M("keyType", "the signature key is not an Ed25519 key"));
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Error(M("noSig", "the checkpoint carries no signature"));
    const text = note.slice(0, split + 1);
    const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    for (const line of note.slice(split + 2).split("\n")) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const sig = b64(m[2]);
      const kh = ((sig[0] << 24) >>> 0) + (sig[1] << 16) + (sig[2] << 8) + sig[3];
      if (sig.length !== 68 || kh !== parseInt(hashHex, 16)) continue;
      if (await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(4), enc.encode(text))) {
        const lines = text.split("\n");
        return { origin: lines[0], size: Number(lines[1]), root: b64(lines[2]) };
      }
    }
    return null;
  }

  // The leaf's canonical bytes (docs/VERIFY.md): version, stream, revision, ID, type, data, metadata, time.
  function decodeLeaf(b) {
    let o = 1;
    const uvarint = () => {
      let x = 0, mul = 1;
      for (;;) { const c = b[o++]; x += (c & 0x7f) * mul; if (c < 0x80) return x; mul *= 128; }
    };
    const bytes = () => { const n = uvarint(); const v = b.slice(o, o + n); o += n; return v; };
    const dec = new TextDecoder();
    const stream = dec.decode(bytes());
    const revision = uvarint();
    o += 16;
    const type = dec.decode(bytes());
    const data = dec.decode(bytes());
    return { stream, revision, type, data };
  }

  // The page's words, in the reader's language: the server renders each message of check.html's #msgs with
  // placeholders {1}, {2}, … where this script puts the values. English stands here for a page without them.
  const words = {};
  document.querySelectorAll("#msgs li").forEach((li) => { words[li.dataset.k] = li.textContent; });
  function M(key, english, ...args) {
    let text = words[key] || english;
    args.forEach((a, i) => { text = text.split("{" + (i + 1) + "}").join(String(a)); });
    return text;
  }

  function say(ok, text) {
    const li = document.createElement("li");
    li.textContent = (ok ? "\u2713 " : "\u2717 ") + text;
    li.dataset.ok = ok ? "yes" : "no";
    steps.appendChild(li);
  }
  function finish(ok, text) {
    result.dataset.result = ok ? "ok" : "fail";
    result.className = ok ? "verdict ok" : "verdict fail";
    result.textContent = text;
  }

  async function check(leafText, hashText, keyText) {
    steps.textContent = "";
    result.dataset.result = "";
    result.textContent = M("checking", "Checking…");
    const leaf = Number(leafText.trim());
    if (!Number.isInteger(leaf) || leaf < 0) return finish(false, M("leafNum", "Not proven: the leaf number must be a whole number."));
    let want;
    try { want = b64(hashText); } catch (e) { want = new Uint8Array(); }
    if (want.length !== 32) return finish(false, M("leafHash", "Not proven: the leaf hash must be the 44-character code from your receipt."));
    const resp = await fetch("/v1/receipts/" + leaf, { headers: { Accept: "application/json" } });
    if (!resp.ok) return finish(false, M("noEntry", "Not proven: the server has no entry number {1} covered by a signed checkpoint.", leaf));
    const r = await resp.json();
    const key = keyText.trim() || r.verifier_key;
    say(true, keyText.trim() ? M("keyYours", "The log's signature key used: {1} (the one you entered)", key)
      : M("keyServer", "The log's signature key used: {1} (announced by this server — compare it with the published one)", key));
    // While a cycle hides ballots during voting, the server shows the entry's hash only, not its contents.
    const bytes = r.leaf_bytes ? b64(r.leaf_bytes) : null;
    const h = bytes ? await leafHash(bytes) : b64(r.leaf_hash);
    if (!same(h, want)) {
      say(false, M("otherEntry", "The entry at number {1} is not the one on your receipt: its hash is different.", leaf));
      return finish(false, M("notHere", "Not proven: the log does not hold your receipt's ballot at this place."));
    }
    say(true, bytes ? M("shown", "The server showed the entry with number {1}, and its contents match your receipt's hash.", leaf)
      : M("hidden", "The entry with number {1} has your receipt's hash; its contents stay hidden until voting closes.", leaf));
    let cp;
    try { cp = await checkNote(r.checkpoint.note, key); } catch (e) { cp = null; say(false, String(e.message || e)); }
    if (!cp) {
      say(false, M("badSig", "The checkpoint is not signed by this key."));
      return finish(false, M("badSigEnd", "Not proven: the log's checkpoint does not carry a valid signature of the key."));
    }
    say(true, M("sigOK", "The checkpoint of the whole log ({1} entries) is signed by the log's key.", cp.size));
    const proof = (r.proof || []).map(b64);
    const root = await rootFromProof(leaf, cp.size, h, proof);
    if (!root || !same(root, cp.root)) {
      say(false, M("badProof", "The proof does not lead from your entry to the signed checkpoint."));
      return finish(false, M("badProofEnd", "Not proven: the inclusion proof does not match the signed checkpoint."));
    }
    say(true, M("proofOK", "The proof leads from your entry to the signed checkpoint: your entry is part of the log everyone sees."));
    if (bytes) {
      const e = decodeLeaf(bytes);
      let what = M("entryIn", "{1} in {2}", e.type, e.stream);
      try {
        const d = JSON.parse(e.data);
        if (d.choices) what = M("ballotIn", "a ballot in {1} / {2} choosing {3}", d.cycle_id, d.district_id,
          d.choices.map((c) => c.proposal_id + (c.points ? " (" + M("points", "{1} points", c.points) + ")" : "")).join(", "));
      } catch (_) { /* show the type and stream */ }
      say(true, M("what", "What the entry says: {1}.", what));
    }
    let verdict = M("proven", "Proven: your ballot is in the public log, unchanged, under a checkpoint signed by the log's key.");
    if (r.superseded) say(true, M("superseded", "You replaced this ballot later; the newer ballot is the one that counts."));
    if (r.allocation) {
      const a = r.allocation;
      const winners = (a.winners || []).map((w) => w.proposal_id).join(", ") || M("none", "none");
      say(true, M("counted", "The district has been counted (rule {1}, {2} ballots, one current ballot per voter). Funded: {3}.", a.rule, a.ballots_counted, winners));
      if (a.checkpoint) {
        const acp = await checkNote(a.checkpoint.note, key).catch(() => null);
        say(!!acp, acp ? M("covered", "The count is covered by the signed checkpoint of {1} entries; anyone can recount it with `pbledger verify`.", acp.size)
          : M("countBadSig", "The checkpoint covering the count is not signed by the key."));
        if (!acp) return finish(false, M("countBadSigEnd", "Not proven: the count's checkpoint is not signed by the log's key."));
      }
      verdict += M("recorded", " The district's count is recorded; see above.");
    } else {
      say(true, M("notCounted", "The district has not been counted yet; come back after the count to see the result that included your ballot."));
    }
    finish(true, verdict);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    check(form.leaf.value, form.hash.value, form.key.value).catch((e) => finish(false, M("notProven", "Not proven: {1}", e.message || e)));
  });
  if (form.leaf.value && form.hash.value) form.requestSubmit();
})();
