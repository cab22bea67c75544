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
    if (i <= 0 || j !== i + 9) throw new Error("the signature key is not of the form name+hash+key");
    const name = v.slice(0, i), hashHex = v.slice(i + 1, j), keyB64 = v.slice(j + 1);
    const raw = b64(keyB64);
    if (raw.length !== 33 || raw[0] !== 1) throw new Error("the signature key is not an Ed25519 key");
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Error("the checkpoint carries no signature");
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
    result.textContent = "Checking…";
    const leaf = Number(leafText.trim());
    if (!Number.isInteger(leaf) || leaf < 0) return finish(false, "Not proven: the leaf number must be a whole number.");
    let want;
    try { want = b64(hashText); } catch (e) { want = new Uint8Array(); }
    if (want.length !== 32) return finish(false, "Not proven: the leaf hash must be the 44-character code from your receipt.");
    const resp = await fetch("/v1/receipts/" + leaf, { headers: { Accept: "application/json" } });
    if (!resp.ok) return finish(false, "Not proven: the server has no entry number " + leaf + " covered by a signed checkpoint.");
    const r = await resp.json();
    const key = keyText.trim() || r.verifier_key;
    say(true, "The log's signature key used: " + key + (keyText.trim() ? " (the one you entered)" : " (announced by this server — compare it with the published one)"));
    // While a cycle hides ballots during voting, the server shows the entry's hash only, not its contents.
    const bytes = r.leaf_bytes ? b64(r.leaf_bytes) : null;
    const h = bytes ? await leafHash(bytes) : b64(r.leaf_hash);
    if (!same(h, want)) {
      say(false, "The entry at number " + leaf + " is not the one on your receipt: its hash is different.");
      return finish(false, "Not proven: the log does not hold your receipt's ballot at this place.");
    }
    say(true, bytes ? "The server showed the entry with number " + leaf + ", and its contents match your receipt's hash."
      : "The entry with number " + leaf + " has your receipt's hash; its contents stay hidden until voting closes.");
    let cp;
    try { cp = await checkNote(r.checkpoint.note, key); } catch (e) { cp = null; say(false, String(e.message || e)); }
    if (!cp) {
      say(false, "The checkpoint is not signed by this key.");
      return finish(false, "Not proven: the log's checkpoint does not carry a valid signature of the key.");
    }
    say(true, "The checkpoint of the whole log (" + cp.size + " entries) is signed by the log's key.");
    const proof = (r.proof || []).map(b64);
    const root = await rootFromProof(leaf, cp.size, h, proof);
    if (!root || !same(root, cp.root)) {
      say(false, "The proof does not lead from your entry to the signed checkpoint.");
      return finish(false, "Not proven: the inclusion proof does not match the signed checkpoint.");
    }
    say(true, "The proof leads from your entry to the signed checkpoint: your entry is part of the log everyone sees.");
    if (bytes) {
      const e = decodeLeaf(bytes);
      let what = e.type + " in " + e.stream;
      try {
        const d = JSON.parse(e.data);
        if (d.choices) what = "a ballot in " + d.cycle_id + " / " + d.district_id + " choosing " + d.choices.map((c) => c.proposal_id + (c.points ? " (" + c.points + " points)" : "")).join(", ");
      } catch (_) { /* show the type and stream */ }
      say(true, "What the entry says: " + what + ".");
    }
    let verdict = "Proven: your ballot is in the public log, unchanged, under a checkpoint signed by the log's key.";
    if (r.superseded) say(true, "You replaced this ballot later; the newer ballot is the one that counts.");
    if (r.allocation) {
      const a = r.allocation;
      const winners = (a.winners || []).map((w) => w.proposal_id).join(", ") || "none";
      say(true, "The district has been counted (rule " + a.rule + ", " + a.ballots_counted + " ballots, one current ballot per voter). Funded: " + winners + ".");
      if (a.checkpoint) {
        const acp = await checkNote(a.checkpoint.note, key).catch(() => null);
        say(!!acp, acp ? "The count is covered by the signed checkpoint of " + acp.size + " entries; anyone can recount it with `pbledger verify`." : "The checkpoint covering the count is not signed by the key.");
        if (!acp) return finish(false, "Not proven: the count's checkpoint is not signed by the log's key.");
      }
      verdict += " The district's count is recorded; see above.";
    } else {
      say(true, "The district has not been counted yet; come back after the count to see the result that included your ballot.");
    }
    finish(true, verdict);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    check(form.leaf.value, form.hash.value, form.key.value).catch((e) => finish(false, "Not proven: " + (e.message || e)));
  });
  if (form.leaf.value && form.hash.value) form.requestSubmit();
})();
