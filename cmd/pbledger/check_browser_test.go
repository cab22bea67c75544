package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore/translog"
)

// The "check my ballot" page verifies a receipt in the browser (WebCrypto SHA-256 and Ed25519). The test
// casts a ballot, opens the receipt's check link in a real headless Chromium and reads the verdict; then it
// tampers with the receipt, the key and the leaf number, and each must fail.

// checkVerdict opens a check page and waits for its verdict: "ok" or "fail", and the words shown.
func checkVerdict(tb testing.TB, b *browser, path string) (string, string, []string) {
	tb.Helper()
	b.open(tb, path)
	deadline := time.Now().Add(browserPollTimeout)
	for {
		v := evalPage[[]string](tb, b, "verdict", `(() => { const r = document.getElementById("result"); return [r.dataset.result, r.innerText]; })()`)
		if v[0] != "" {
			steps := evalPage[[]string](tb, b, "steps", `Array.from(document.querySelectorAll("#steps li")).map(li => li.innerText)`)
			return v[0], v[1], steps
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: no verdict after %s", path, browserPollTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserChecksBallotReceipts(t *testing.T) {
	b := mustStartBrowser(t)
	// A key whose base64 holds a "+", as half of all keys do: the page must parse it.
	ts := startTestServer(t, true, "--sign-every", "50ms", "--log-key", keyWithPlus(t))
	b.base = ts.URL
	b.wait(t)

	ans := castBallot(t, ts, demoIIN(7_100_001))
	rc, _ := ans["receipt"].(map[string]any)
	if rc == nil {
		t.Fatalf("the ballot's answer has no receipt: %v", ans)
	}
	leaf := int64(rc["leaf"].(float64))
	hash := rc["leaf_hash"].(string)
	checkURL := rc["check_url"].(string)
	if want := fmt.Sprintf("/check?leaf=%d&hash=%s", leaf, url.QueryEscape(hash)); checkURL != want {
		t.Fatalf("check_url %q, want %q", checkURL, want)
	}

	t.Run("a fresh ballot's receipt is proven", func(t *testing.T) {
		verdict, words, steps := checkVerdict(t, b, checkURL)
		if verdict != "ok" || !strings.HasPrefix(words, "Proven: your ballot is in the public log") {
			t.Fatalf("verdict %s %q, steps %q", verdict, words, steps)
		}
		if !strings.Contains(strings.Join(steps, "\n"), "choosing almaty-2026.almaly.01") {
			t.Fatalf("the page does not say what the ballot chose: %q", steps)
		}
	})

	t.Run("the check speaks the reader's language", func(t *testing.T) {
		for _, tc := range []struct{ lang, verdict, step string }{
			{"ru", "Доказано: ваш бюллетень есть в публичном журнале", "бюллетень в almaty-2026 / almaly с выбором: almaty-2026.almaly.01"},
			{"kk", "Дәлелденді: бюллетеніңіз ашық журналда", "almaty-2026 / almaly бюллетені, таңдауы: almaty-2026.almaly.01"},
		} {
			verdict, words, steps := checkVerdict(t, b, checkURL+"&lang="+tc.lang)
			if verdict != "ok" || !strings.HasPrefix(words, tc.verdict) {
				t.Errorf("%s: verdict %s %q, want it to start %q", tc.lang, verdict, words, tc.verdict)
			}
			if all := strings.Join(steps, "\n"); !strings.Contains(all, tc.step) || strings.Contains(all, "The proof leads") {
				t.Errorf("%s: steps %q, want them translated, with %q", tc.lang, steps, tc.step)
			}
		}
		// A receipt that must fail, fails in the reader's language too.
		verdict, words, _ := checkVerdict(t, b, fmt.Sprintf("/check?leaf=%d&hash=%s&lang=ru", leaf+1_000_000, url.QueryEscape(hash)))
		if verdict != "fail" || !strings.HasPrefix(words, "Не доказано") {
			t.Errorf("ru, a leaf the log lacks: verdict %s %q", verdict, words)
		}
		// The choice is remembered (a cookie): choose English again for the subtests that follow.
		if verdict, words, _ := checkVerdict(t, b, checkURL+"&lang=en"); verdict != "ok" || !strings.HasPrefix(words, "Proven") {
			t.Fatalf("back to English: verdict %s %q", verdict, words)
		}
	})

	t.Run("a counted ballot's receipt shows the count", func(t *testing.T) {
		// A ballot of the counted cycle: its leaf and hash as the proof API gives them.
		var feed struct {
			Leaf   int64  `json:"leaf"`
			Stream string `json:"stream"`
			Type   string `json:"type"`
		}
		resp, err := http.Get(ts.URL + "/v1/events?limit=5000")
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(resp.Body)
		for dec.More() {
			if err := dec.Decode(&feed); err != nil {
				t.Fatal(err)
			}
			if feed.Type == domain.EventBallotCast && strings.HasPrefix(feed.Stream, domain.BallotStreamPrefix+"almaty-2025-almaly") {
				break
			}
		}
		resp.Body.Close()
		var inc struct {
			LeafHash string `json:"leaf_hash"`
		}
		api := &browserAPI{base: ts.URL, client: &http.Client{Timeout: browserStepTimeout}}
		api.get(t, fmt.Sprintf("/v1/log/inclusion?leaf=%d", feed.Leaf), &inc)
		verdict, words, steps := checkVerdict(t, b, fmt.Sprintf("/check?leaf=%d&hash=%s", feed.Leaf, url.QueryEscape(inc.LeafHash)))
		if verdict != "ok" || !strings.Contains(words, "count is recorded") || !strings.Contains(strings.Join(steps, "\n"), "has been counted") {
			t.Fatalf("verdict %s %q, steps %q", verdict, words, steps)
		}
	})

	t.Run("a ballot withheld while voting is proven by its hash, its choices not shown", func(t *testing.T) {
		rc := openHiddenCycle(t, ts)
		verdict, words, steps := checkVerdict(t, b, rc["check_url"].(string))
		all := strings.Join(steps, "\n")
		if verdict != "ok" || !strings.HasPrefix(words, "Proven") || !strings.Contains(all, "stay hidden until voting closes") || strings.Contains(all, "choosing") {
			t.Fatalf("verdict %s %q, steps %q", verdict, words, steps)
		}
	})

	_, otherKey, err := translog.LoadOrCreateKey(filepath.Join(t.TempDir(), "other.secret"), defaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	wrongHash := []byte(hash)
	wrongHash[5] = map[bool]byte{true: 'B', false: 'A'}[wrongHash[5] == 'A']
	for _, tc := range []struct {
		name, path, want string
	}{
		{"a receipt whose hash is not the ballot's fails", fmt.Sprintf("/check?leaf=%d&hash=%s", leaf, url.QueryEscape(string(wrongHash))), "does not hold your receipt's ballot"},
		{"a receipt for a leaf the log does not have fails", fmt.Sprintf("/check?leaf=%d&hash=%s", leaf+100000, url.QueryEscape(hash)), "has no entry number"},
		{"a checkpoint checked against another key fails", checkURL + "&key=" + url.QueryEscape(otherKey), "not carry a valid signature"},
		{"a receipt naming another ballot's place fails", fmt.Sprintf("/check?leaf=%d&hash=%s", leaf-1, url.QueryEscape(hash)), "does not hold your receipt's ballot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verdict, words, steps := checkVerdict(t, b, tc.path)
			if verdict != "fail" || !strings.HasPrefix(words, "Not proven") || !strings.Contains(words, tc.want) {
				t.Fatalf("verdict %s %q (steps %q), want a failure saying %q", verdict, words, steps, tc.want)
			}
		})
	}
}

// keyWithPlus makes a log signing key whose verifier key's base64 part contains "+", and returns its file.
func keyWithPlus(tb testing.TB) string {
	tb.Helper()
	for i := 0; i < 200; i++ {
		path := filepath.Join(tb.TempDir(), "log-key.secret")
		_, vkey, err := translog.LoadOrCreateKey(path, defaultOrigin)
		if err != nil {
			tb.Fatal(err)
		}
		if parts := strings.SplitN(vkey, "+", 3); strings.Contains(parts[2], "+") {
			return path
		}
	}
	tb.Fatal("no key with a + in 200 tries")
	return ""
}
