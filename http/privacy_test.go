package http_test

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// feed returns every event of the public feed, decoded.
func (e *env) feed(tb testing.TB) []map[string]any {
	tb.Helper()
	r := e.must(tb, 200, "GET", "/v1/events?after=0&limit=10000", "", "")
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			tb.Fatalf("feed line %q: %v", sc.Text(), err)
		}
		out = append(out, ev)
	}
	return out
}

// strings returns every string in v (keys and values, at any depth).
func allStrings(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		*out = append(*out, v)
	case map[string]any:
		for k, x := range v {
			*out = append(*out, k)
			allStrings(x, out)
		}
	case []any:
		for _, x := range v {
			allStrings(x, out)
		}
	}
}

// unkeyed returns the unkeyed digests an attacker would try of a secret-bearing text.
func unkeyed(s string) []string {
	s256, s1, s512, m5 := sha256.Sum256([]byte(s)), sha1.Sum([]byte(s)), sha512.Sum512([]byte(s)), md5.Sum([]byte(s))
	var out []string
	for _, b := range [][]byte{s256[:], s1[:], s512[:], m5[:]} {
		out = append(out, hex.EncodeToString(b), base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b))
	}
	return out
}

// Item 1: nothing public is derived from a resident ID, or from a body holding one, except through the
// keyed voter-key function; nor does the feed carry the gateway's Idempotency-Key or request ID, which may
// hold personal data.
func TestFeedHoldsNothingUnkeyedFromResidentIDs(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	const resident = "900101300126"
	const key = "ballot-of-900101300126"
	const rid = "req-for-900101300126"
	body := ballot(resident, "p1")
	first := e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", body, "Idempotency-Key", key, "X-Request-ID", rid)
	// The key still works: a retry gets the first answer; another body with the key is refused.
	again := e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", body, "Idempotency-Key", key)
	if !bytes.Equal(first.body, again.body) {
		t.Fatalf("retry: got %s, want %s", again.body, first.body)
	}
	e.must(t, 422, "POST", "/v1/cycles/c1/ballots", "portal", ballot(resident, "p2"), "Idempotency-Key", key)
	if got := first.header.Get("X-Request-ID"); got != rid {
		t.Fatalf("X-Request-ID echoed as %q, want %q", got, rid)
	}
	// A proposal with a key, and a pledge, both naming the resident.
	e.must(t, 201, "POST", "/v1/proposals/p2/pledges", "portal",
		fmt.Sprintf(`{"pledge_id":"g1","pledger_kind":"resident","resident_id":%q,"amount":100}`, resident), "Idempotency-Key", "pledge-"+resident)

	secrets := []string{resident, key, rid, "pledge-" + resident}
	var digests []string
	for _, b := range []string{body, fmt.Sprintf(`{"pledge_id":"g1","pledger_kind":"resident","resident_id":%q,"amount":100}`, resident)} {
		for _, path := range []string{"/v1/cycles/c1/ballots", "/v1/proposals/p2/pledges"} {
			digests = append(digests, unkeyed("POST "+path+"\n"+b)...)
		}
		digests = append(digests, unkeyed(b)...)
	}
	for _, s := range secrets {
		digests = append(digests, unkeyed(s)...)
		digests = append(digests, unkeyed("portal\x00"+s)...)
	}
	evs := e.feed(t)
	for _, ev := range evs {
		var ss []string
		allStrings(ev, &ss)
		for _, s := range ss {
			for _, secret := range secrets {
				if strings.Contains(s, secret) {
					t.Errorf("feed event %v %v carries %q in %q", ev["position"], ev["type"], secret, s)
				}
			}
			for _, d := range digests {
				if strings.Contains(s, d) {
					t.Errorf("feed event %v %v carries an unkeyed digest of a request in %q", ev["position"], ev["type"], s)
				}
			}
		}
	}
	// The proposal history (public too) carries the same metadata.
	hist := e.must(t, 200, "GET", "/v1/proposals/p2", "", "")
	for _, secret := range secrets {
		if bytes.Contains(hist.body, []byte(secret)) {
			t.Errorf("proposal history carries %q", secret)
		}
	}
}

// voterOf returns the voter key of the ballot event that the write answered with.
func (e *env) dataAt(tb testing.TB, r response) map[string]any {
	tb.Helper()
	pos := r.header.Get("X-Pbledger-Position")
	for _, ev := range e.feed(tb) {
		if fmt.Sprint(ev["position"]) == pos {
			return ev["data"].(map[string]any)
		}
	}
	tb.Fatalf("no event at position %s", pos)
	return nil
}

// Item 2: a resident's keys differ per cycle and per purpose, so a known author's ballot is not public; old
// cycles (voter_keys absent or "v1") keep the one key they always had.
func TestVoterKeysPerCycleAndPurpose(t *testing.T) {
	e := newEnv(t)
	e.voting(t) // c1, opened without voter_keys: the API gives it v2
	e.must(t, 201, "POST", "/v1/cycles", "admin", strings.Replace(strings.Replace(openCycle, `"c1"`, `"c2"`, 1), `"name"`, `"voter_keys":"v1","districts_per_voter":2,"name"`, 1))
	e.must(t, 201, "POST", "/v1/cycles", "admin", strings.Replace(openCycle, `"c1"`, `"c3"`, 1))
	const resident = "resident-42"
	author := e.dataAt(t, e.must(t, 201, "POST", "/v1/cycles/c3/proposals", "portal",
		fmt.Sprintf(`{"proposal_id":"q1","district_id":"north","resident_id":%q,"title":"Q","description":"","cost":10}`, resident)))["author"]
	e.must(t, 200, "POST", "/v1/proposals/q1/publish", "mod1", "")
	e.must(t, 200, "POST", "/v1/cycles/c3/phase", "admin", `{"to":"review"}`)
	e.must(t, 200, "POST", "/v1/cycles/c3/phase", "admin", `{"to":"voting"}`)
	ballotC3 := e.dataAt(t, e.must(t, 201, "POST", "/v1/cycles/c3/ballots", "portal", strings.Replace(ballot(resident, "q1"), "north", "north", 1)))["voter"]
	ballotC1 := e.dataAt(t, e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot(resident, "p1")))["voter"]
	pledger := e.dataAt(t, e.must(t, 201, "POST", "/v1/proposals/q1/pledges", "portal",
		fmt.Sprintf(`{"pledge_id":"g1","pledger_kind":"resident","resident_id":%q,"amount":1}`, resident)))["pledger"]
	keys := map[string]any{"author in c3": author, "ballot in c3": ballotC3, "ballot in c1": ballotC1, "pledge in c3": pledger}
	seen := map[any]string{}
	for what, k := range keys {
		if k == nil || k == "" {
			t.Fatalf("%s: no key", what)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share the key %v: they can be linked", what, other, k)
		}
		seen[k] = what
	}
	// Under v1 the resident's proposal and ballot share a key, as in every log written before v2.
	e.must(t, 201, "POST", "/v1/cycles/c2/proposals", "portal",
		fmt.Sprintf(`{"proposal_id":"r1","district_id":"north","resident_id":%q,"title":"R","description":"","cost":10}`, resident))
	e.must(t, 200, "POST", "/v1/proposals/r1/withdraw", "portal", fmt.Sprintf(`{"resident_id":%q}`, resident)) // v1 author key still matches
	cycle := e.must(t, 200, "GET", "/v1/cycles/c2", "", "").json(t)
	if cycle["voter_keys"] != "v1" {
		t.Errorf("c2 voter_keys %v, want v1", cycle["voter_keys"])
	}
	if c := e.must(t, 200, "GET", "/v1/cycles/c1", "", "").json(t); c["voter_keys"] != "v2" || c["districts_per_voter"] != 1.0 {
		t.Errorf("c1 opened through the API: voter_keys %v, districts_per_voter %v; want v2 and 1", c["voter_keys"], c["districts_per_voter"])
	}
	// The author, known by their key, revises and withdraws with the same resident ID under v2 too.
	e.must(t, 403, "POST", "/v1/proposals/q1/withdraw", "portal", `{"resident_id":"someone-else"}`)
}

// Item 3: one resident, one district — 64 concurrent attempts across the districts give exactly one 201.
func TestOneResidentOneDistrictUnderRaces(t *testing.T) {
	e := newEnv(t)
	districts := []string{"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7"}
	var ds []string
	for _, d := range districts {
		ds = append(ds, fmt.Sprintf(`{"id":%q,"name":%q,"budget":100000}`, d, d))
	}
	e.must(t, 201, "POST", "/v1/cycles", "admin", `{"cycle_id":"c8","name":"Eight","currency":"KZT","currency_exponent":2,
 "districts":[`+strings.Join(ds, ",")+`],"plan":["submission","review","voting","allocation","implementation","closed"],
 "ballot_rule":{"type":"approval","max_choices":2},"outcome_rule":{"name":"greedy"}}`)
	for _, d := range districts {
		e.must(t, 201, "POST", "/v1/cycles/c8/proposals", "portal",
			fmt.Sprintf(`{"proposal_id":"p-%s","district_id":%q,"resident_id":"author","title":"P","description":"","cost":10}`, d, d))
		e.must(t, 200, "POST", "/v1/proposals/p-"+d+"/publish", "mod1", "")
	}
	e.must(t, 200, "POST", "/v1/cycles/c8/phase", "admin", `{"to":"review"}`)
	e.must(t, 200, "POST", "/v1/cycles/c8/phase", "admin", `{"to":"voting"}`)

	for round, resident := range []string{"racer-1", "racer-2"} {
		var wg sync.WaitGroup
		statuses := make(chan int, 64)
		start := make(chan struct{})
		for i := 0; i < 64; i++ {
			d := districts[i%len(districts)]
			body := fmt.Sprintf(`{"district_id":%q,"resident_id":%q,"choices":[{"proposal_id":"p-%s"}]}`, d, resident, d)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, _ := http.NewRequest("POST", e.url+"/v1/cycles/c8/ballots", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+e.tokens["portal"])
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				statuses <- res.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[201] != 1 || count[409] != 63 {
			t.Fatalf("round %d: got statuses %v, want one 201 and 63 409", round, count)
		}
	}
	// The log holds exactly one ballot per resident.
	ballots := 0
	for _, ev := range e.feed(t) {
		if ev["type"] == "BallotCast" {
			ballots++
		}
	}
	if ballots != 2 {
		t.Fatalf("the log holds %d ballots, want 2", ballots)
	}
	// Without a race: the second district is refused too, and says why.
	e.must(t, 201, "POST", "/v1/cycles/c8/ballots", "portal", `{"district_id":"d0","resident_id":"walker","choices":[{"proposal_id":"p-d0"}]}`)
	e.must(t, 409, "POST", "/v1/cycles/c8/ballots", "portal", `{"district_id":"d1","resident_id":"walker","choices":[{"proposal_id":"p-d1"}]}`)
}

// Item 5: one resident ID, one canonical form: whitespace, control characters and invalid UTF-8 are refused;
// NFC-equivalent spellings are one voter; a cycle's pattern refuses typos.
func TestResidentIDsAreCanonical(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("IIN-900101300999", "p1"))
	for _, id := range []string{" IIN-900101300999", "IIN-900101300999 ", "IIN-900101300999\n", "IIN-9001\u200b01300999", "\u202eIIN-900101300999"} {
		e.must(t, 400, "POST", "/v1/cycles/c1/ballots", "portal", ballot(id, "p1"))
	}
	// Two different invalid UTF-8 strings (raw bytes in the JSON) are refused, not made one voter.
	for _, raw := range []string{"r\xff", "r\xfe"} {
		e.must(t, 400, "POST", "/v1/cycles/c1/ballots", "portal", `{"district_id":"north","resident_id":"`+raw+`","choices":[{"proposal_id":"p1"}]}`)
	}
	// "é" composed and decomposed are one resident.
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("Ren\u00e9-1", "p1"))
	e.must(t, 409, "POST", "/v1/cycles/c1/ballots", "portal", ballot("Rene\u0301-1", "p1"))

	// A cycle declaring the Kazakh IIN pattern refuses an IIN with a wrong check digit.
	e.must(t, 201, "POST", "/v1/cycles", "admin", strings.Replace(strings.Replace(openCycle, `"c1"`, `"kz"`, 1), `"name"`, `"resident_id_pattern":"kz-iin","name"`, 1))
	e.must(t, 400, "POST", "/v1/cycles/kz/proposals", "portal", `{"proposal_id":"k1","district_id":"north","resident_id":"900101300127","title":"K","description":"","cost":10}`)
	e.must(t, 400, "POST", "/v1/cycles/kz/proposals", "portal", `{"proposal_id":"k1","district_id":"north","resident_id":"IIN-900101300126","title":"K","description":"","cost":10}`)
	e.must(t, 201, "POST", "/v1/cycles/kz/proposals", "portal", `{"proposal_id":"k1","district_id":"north","resident_id":"900101300126","title":"K","description":"","cost":10}`)
}

// Item 1, the same class of leak: a gateway that copies the resident ID into a field the log publishes (an
// ID, a title, a reason) is refused.
func TestResidentIDsAreNotCopiedIntoPublicFields(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	const resident = "900101300126"
	e.must(t, 400, "POST", "/v1/cycles/c1/proposals", "portal", `{"proposal_id":"by-900101300126","district_id":"north","resident_id":"`+resident+`","title":"T","description":"","cost":10}`)
	e.must(t, 400, "POST", "/v1/cycles/c1/proposals", "portal", `{"proposal_id":"q9","district_id":"north","resident_id":"`+resident+`","title":"T","description":"call 900101300126","cost":10}`)
	e.must(t, 400, "POST", "/v1/proposals/p1/pledges", "portal", `{"pledge_id":"pl-900101300126","pledger_kind":"resident","resident_id":"`+resident+`","amount":1}`)
	e.must(t, 201, "POST", "/v1/proposals/p1/pledges", "portal", `{"pledge_id":"pl-1","pledger_kind":"resident","resident_id":"`+resident+`","amount":1}`)
}
