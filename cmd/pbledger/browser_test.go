package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser test drives a real headless Chromium over the public page of a live server with the Almaty
// demo loaded, and checks that what the page shows is what the JSON API says. It clicks links the way a
// resident would, so a broken link fails it as surely as a wrong figure.

// chromiumPath is where Debian's chromium package puts the browser; scripts/test-deps.sh installs it.
const chromiumPath = "/usr/bin/chromium"

// Hang guards, never expectations: a healthy run takes a fraction of each.
const (
	browserStepTimeout = 20 * time.Second // one navigation, click or script
	browserPollTimeout = 20 * time.Second // waiting for a write to show on the page
)

func TestBrowserPublicPageMatchesAPI(t *testing.T) {
	b := mustStartBrowser(t)
	ts := startTestServer(t, true)
	b.base = ts.URL
	b.wait(t)
	api := &browserAPI{base: ts.URL, client: &http.Client{Timeout: browserStepTimeout}}
	// The page speaks kk, ru and en; this test reads it in English (the switch is remembered in a cookie).
	// TestBrowserLayout reads it in all three.
	b.open(t, "/?lang=en")

	var cycles jsonCycles
	api.get(t, "/v1/cycles", &cycles)
	done := mustListedCycle(t, cycles, "almaty-2025")
	voting := mustListedCycle(t, cycles, "almaty-2026")

	t.Run("index lists every cycle with the API's figures", func(t *testing.T) {
		b.open(t, "/")
		rows := evalPage[[]pageCycleRow](t, b, "cycle rows", pageJSCycleRows)
		var want []pageCycleRow
		for _, c := range cycles.Cycles {
			want = append(want, pageCycleRow{
				Cycle:   c.ID,
				Name:    c.Name,
				Phase:   phaseWord(c.Phase),
				Budget:  formatMinorUnits(c.TotalBudget, c.CurrencyExponent, c.Currency),
				Ballots: enInt(int64(c.Ballots)),
			})
		}
		if !slices.Equal(rows, want) {
			t.Errorf("cycles table:\n got %+v\nwant %+v", rows, want)
		}
	})

	t.Run("cycle page shows each district's balance from the API", func(t *testing.T) {
		b.open(t, "/")
		b.click(t, fmt.Sprintf(`tr[data-cycle=%q] th a`, done.ID), "/cycles/"+done.ID)
		var c jsonCycle
		api.get(t, "/v1/cycles/"+done.ID, &c)
		if got := b.text(t, "h1"); got != c.Name {
			t.Errorf("heading: got %q, want %q", got, c.Name)
		}
		if got, want := b.text(t, `[data-field="phase"]`), phaseWord(c.Phase); got != want {
			t.Errorf("phase: got %q, want %q", got, want)
		}
		rows := evalPage[[]pageDistrictRow](t, b, "district rows", pageJSDistrictRows)
		var want []pageDistrictRow
		for _, d := range c.DistrictViews {
			want = append(want, pageDistrictRow{
				District:  d.ID,
				Name:      d.Name,
				Ballots:   enInt(int64(d.Ballots)),
				Budget:    c.money(d.Balance.Budget),
				Allocated: c.money(d.Balance.Allocated),
				Remaining: c.money(d.Balance.Remaining),
			})
		}
		want = append(want, pageDistrictRow{
			District:  "total",
			Name:      "Citywide",
			Budget:    c.money(c.Totals.Budget),
			Allocated: c.money(c.Totals.Allocated),
			Remaining: c.money(c.Totals.Remaining),
		})
		if !slices.Equal(rows, want) {
			t.Errorf("districts table:\n got %+v\nwant %+v", rows, want)
		}
	})

	var c2025 jsonCycle
	api.get(t, "/v1/cycles/"+done.ID, &c2025)
	for _, d := range c2025.DistrictViews {
		t.Run("district "+d.ID+" shows the recorded outcome, balance and history", func(t *testing.T) {
			b.open(t, "/cycles/"+done.ID)
			b.click(t, fmt.Sprintf(`tr[data-district=%q] th a`, d.ID), "/cycles/"+done.ID+"/districts/"+d.ID)
			base := "/v1/cycles/" + done.ID + "/districts/" + d.ID
			var rk jsonRanking
			api.get(t, base+"/ranking", &rk)
			checkDistrictPage(t, b, rk)

			var bal jsonBalance
			api.get(t, base+"/balance", &bal)
			gotBal := evalPage[map[string]string](t, b, "balance", pageJSBalance)
			wantBal := map[string]string{
				"balance-budget":     rk.money(bal.Budget),
				"balance-allocated":  rk.money(bal.Allocated),
				"balance-cofinanced": rk.money(bal.CoFinanced),
				"balance-spent":      rk.money(bal.Spent),
				"balance-projects":   rk.money(bal.Allocated + bal.CoFinanced),
				"balance-remaining":  rk.money(bal.Remaining),
			}
			if !maps.Equal(gotBal, wantBal) {
				t.Errorf("balance block:\n got %v\nwant %v", gotBal, wantBal)
			}

			var o jsonOutcome
			api.get(t, base+"/outcome", &o)
			gotWin := evalPage[[]pageWinner](t, b, "winners", pageJSWinners)
			var wantWin []pageWinner
			for _, w := range o.Winners {
				wantWin = append(wantWin, pageWinner{Proposal: w.ProposalID, Text: o.Titles[w.ProposalID] + ": " + rk.money(w.Funded)})
			}
			if !slices.Equal(gotWin, wantWin) {
				t.Errorf("outcome winners:\n got %+v\nwant %+v", gotWin, wantWin)
			}
			if got, want := b.text(t, `[data-field="outcome-total"]`), rk.money(o.Total); got != want {
				t.Errorf("outcome total: got %q, want %q", got, want)
			}

			// The first proposal in the ranking: a resident reads its record.
			if len(rk.Entries) == 0 {
				t.Fatal("the API ranking has no entries")
			}
			first := rk.Entries[0].ProposalID
			b.click(t, fmt.Sprintf(`table.ranking tr[data-proposal=%q] th a`, first), "/proposals/"+first)
			checkProposalPage(t, b, api, first, rk)
		})
	}

	t.Run("provisional ranking of the voting cycle is marked and in the API's order", func(t *testing.T) {
		d := mustFirstDistrict(t, api, voting.ID)
		b.open(t, "/")
		b.click(t, fmt.Sprintf(`tr[data-cycle=%q] th a`, voting.ID), "/cycles/"+voting.ID)
		b.click(t, fmt.Sprintf(`tr[data-district=%q] th a`, d), "/cycles/"+voting.ID+"/districts/"+d)
		var rk jsonRanking
		api.get(t, "/v1/cycles/"+voting.ID+"/districts/"+d+"/ranking", &rk)
		if !rk.Provisional {
			t.Fatalf("the API says the ranking of %s/%s is not provisional; the demo should be in voting", voting.ID, d)
		}
		checkDistrictPage(t, b, rk)
	})

	t.Run("a ballot cast through the API shows on the page", func(t *testing.T) {
		d := mustFirstDistrict(t, api, voting.ID)
		path := "/cycles/" + voting.ID + "/districts/" + d
		var before jsonRanking
		api.get(t, "/v1"+path+"/ranking", &before)
		choice := ""
		for _, e := range before.Entries {
			if e.Status == "published" && !e.Withdrawn && !e.Infeasible {
				choice = e.ProposalID
				break
			}
		}
		if choice == "" {
			t.Fatalf("no published proposal in %s to vote for", path)
		}
		pos := api.castBallot(t, ts.Tokens["demo-portal"], voting.ID, d, demoIIN(9_000_000), choice)

		var after jsonRanking
		api.get(t, "/v1"+path+"/ranking?min_position="+strconv.FormatUint(pos, 10), &after)
		if after.Ballots != before.Ballots+1 {
			t.Fatalf("API ballots in %s: got %d after one ballot, want %d", path, after.Ballots, before.Ballots+1)
		}
		b.open(t, path)
		b.pollText(t, path, `[data-field="ballots"]`, enInt(int64(after.Ballots)))
		checkDistrictPage(t, b, after)

		var cs jsonCycles
		api.get(t, "/v1/cycles?min_position="+strconv.FormatUint(pos, 10), &cs)
		c := mustListedCycle(t, cs, voting.ID)
		b.open(t, "/")
		b.pollText(t, "/", fmt.Sprintf(`tr[data-cycle=%q] [data-field="ballots"]`, voting.ID), enInt(int64(c.Ballots)))
		if c.Ballots != voting.Ballots+1 {
			t.Errorf("API ballots of %s: got %d after one ballot, want %d", voting.ID, c.Ballots, voting.Ballots+1)
		}
	})

	t.Run("unknown proposal answers a readable 404 page", func(t *testing.T) {
		const id = "no-such-proposal"
		b.openStatus(t, "/proposals/"+id, http.StatusNotFound)
		problem := api.problem(t, "/v1/proposals/"+id, http.StatusNotFound)
		if got := b.text(t, "h1"); got != "Not Found" {
			t.Errorf("heading: got %q, want %q", got, "Not Found")
		}
		if got := b.text(t, "main p"); got != problem.Detail {
			t.Errorf("message: got %q, want the API's %q", got, problem.Detail)
		}
		b.click(t, `main a[href="/"]`, "/")
	})
}

// checkDistrictPage compares the district page on screen with the API's ranking of that district.
func checkDistrictPage(tb testing.TB, b *browser, rk jsonRanking) {
	tb.Helper()
	if got := b.text(tb, "h1"); got != rk.DistrictName {
		tb.Errorf("heading: got %q, want %q", got, rk.DistrictName)
	}
	if got, want := b.text(tb, `[data-field="ballots"]`), enInt(int64(rk.Ballots)); got != want {
		tb.Errorf("ballots: got %q, want %q", got, want)
	}
	if got, want := b.text(tb, `[data-field="budget"]`), rk.money(rk.Budget); got != want {
		tb.Errorf("budget: got %q, want %q", got, want)
	}
	note := evalPage[string](tb, b, "provisional note", `(document.querySelector('[data-field="provisional"]')?.innerText ?? "").trim()`)
	switch {
	case rk.Provisional && !strings.HasPrefix(note, "Provisional"):
		tb.Errorf("provisional note: got %q, want a note that starts with %q", note, "Provisional")
	case !rk.Provisional && note != "":
		tb.Errorf("provisional note on a recorded outcome: %q", note)
	}
	caption := b.text(tb, "table.ranking caption")
	if want := "Provisional ranking"; rk.Provisional != strings.HasPrefix(caption, want) {
		tb.Errorf("ranking caption %q: provisional is %v in the API", caption, rk.Provisional)
	}

	rows := evalPage[[]pageRankingRow](tb, b, "ranking rows", pageJSRankingRows)
	var order, wantOrder []string
	for _, r := range rows {
		order = append(order, r.Proposal)
	}
	for _, e := range rk.Entries {
		wantOrder = append(wantOrder, e.ProposalID)
	}
	if !slices.Equal(order, wantOrder) {
		tb.Fatalf("ranking order:\n got %v\nwant %v", order, wantOrder)
	}
	for i, e := range rk.Entries {
		got := rows[i]
		want := pageRankingRow{
			Proposal: e.ProposalID,
			Rank:     "–",
			Title:    e.Title,
			Votes:    enInt(int64(e.Votes)),
			Support:  enExact(e.SupportExact),
			Cost:     rk.money(e.Cost),
			Result:   got.Result, // checked below
			Selected: e.Selected,
		}
		if e.Rank > 0 {
			want.Rank = strconv.Itoa(e.Rank)
		}
		if got != want {
			tb.Errorf("ranking row %d:\n got %+v\nwant %+v", i+1, got, want)
		}
		// The wording of each reason is the page's own; what must match is who is funded and how much.
		switch {
		case e.Selected && got.Result != "Funded "+rk.money(e.Funded):
			tb.Errorf("%s result: got %q, want %q", e.ProposalID, got.Result, "Funded "+rk.money(e.Funded))
		case !e.Selected && strings.HasPrefix(got.Result, "Funded"):
			tb.Errorf("%s result: got %q, but the API says it is not funded (%s)", e.ProposalID, got.Result, e.Reason)
		case !e.Selected && (e.Reason != "") != (got.Result != ""):
			tb.Errorf("%s result: got %q for the API's reason %q", e.ProposalID, got.Result, e.Reason)
		}
	}
}

// checkProposalPage compares the proposal page on screen with the API's record of it.
func checkProposalPage(tb testing.TB, b *browser, api *browserAPI, id string, rk jsonRanking) {
	tb.Helper()
	var p jsonProposal
	api.get(tb, "/v1/proposals/"+id, &p)
	if got := b.text(tb, "h1"); got != p.Title {
		tb.Errorf("heading: got %q, want %q", got, p.Title)
	}
	if got, want := b.text(tb, `[data-field="votes"]`), enInt(int64(p.Votes)); got != want {
		tb.Errorf("votes: got %q, want %q", got, want)
	}
	if got, want := b.text(tb, `[data-field="cost"]`), rk.money(p.Cost); got != want {
		tb.Errorf("cost: got %q, want %q", got, want)
	}
	funded := evalPage[string](tb, b, "funded", `(document.querySelector('[data-field="funded"]')?.innerText ?? "").trim()`)
	if want := ""; p.Funded != nil {
		want = rk.money(*p.Funded)
		if funded != want {
			tb.Errorf("funded: got %q, want %q", funded, want)
		}
	} else if funded != "" {
		tb.Errorf("funded: got %q, but the API has no funding for it", funded)
	}
	rows := evalPage[[]pageHistoryRow](tb, b, "history rows", pageJSHistoryRows)
	var want []pageHistoryRow
	for _, h := range p.History {
		pos := strconv.FormatUint(h.Position, 10)
		want = append(want, pageHistoryRow{Position: pos, Shown: pos, Type: h.Type})
	}
	if len(want) == 0 {
		tb.Fatalf("the API has no history for %s", id)
	}
	if !slices.Equal(rows, want) {
		tb.Errorf("history of %s:\n got %+v\nwant %+v", id, rows, want)
	}
}

// What the page shows, read in the browser. Every text is the rendered text (innerText), trimmed.
type (
	pageCycleRow struct {
		Cycle   string `json:"cycle"`
		Name    string `json:"name"`
		Phase   string `json:"phase"`
		Budget  string `json:"budget"`
		Ballots string `json:"ballots"`
	}
	pageDistrictRow struct {
		District  string `json:"district"`
		Name      string `json:"name"`
		Ballots   string `json:"ballots"`
		Budget    string `json:"budget"`
		Allocated string `json:"allocated"`
		Remaining string `json:"remaining"`
	}
	pageRankingRow struct {
		Proposal string `json:"proposal"`
		Rank     string `json:"rank"`
		Title    string `json:"title"`
		Votes    string `json:"votes"`
		Support  string `json:"support"`
		Cost     string `json:"cost"`
		Result   string `json:"result"`
		Selected bool   `json:"selected"`
	}
	pageWinner struct {
		Proposal string `json:"proposal"`
		Text     string `json:"text"`
	}
	pageHistoryRow struct {
		Position string `json:"position"` // the data-position hook
		Shown    string `json:"shown"`    // the position as the cell shows it
		Type     string `json:"type"`
	}
)

// The scripts that read the page. f() reads a field's rendered text inside a row.
const pageJSField = `const f = (el, sel) => (el.querySelector(sel)?.innerText ?? "").trim();`

const pageJSCycleRows = `(() => { ` + pageJSField + `
	return Array.from(document.querySelectorAll("tr[data-cycle]"), tr => ({
		cycle: tr.dataset.cycle, name: f(tr, "th a"), phase: f(tr, '[data-field="phase"]'),
		budget: f(tr, '[data-field="budget"]'), ballots: f(tr, '[data-field="ballots"]'),
	}));
})()`

const pageJSDistrictRows = `(() => { ` + pageJSField + `
	return Array.from(document.querySelectorAll("tr[data-district]"), tr => ({
		district: tr.dataset.district, name: f(tr, "th"), ballots: f(tr, '[data-field="ballots"]'),
		budget: f(tr, '[data-field="budget"]'), allocated: f(tr, '[data-field="allocated"]'),
		remaining: f(tr, '[data-field="remaining"]'),
	}));
})()`

const pageJSRankingRows = `(() => { ` + pageJSField + `
	return Array.from(document.querySelectorAll("table.ranking tbody tr[data-proposal]"), tr => ({
		proposal: tr.dataset.proposal, rank: f(tr, '[data-field="rank"]'), title: f(tr, "th a"),
		votes: f(tr, '[data-field="votes"]'), support: f(tr, '[data-field="support"]'),
		cost: f(tr, '[data-field="cost"]'), result: f(tr, '[data-field="result"]'),
		selected: tr.classList.contains("selected"),
	}));
})()`

const pageJSBalance = `Object.fromEntries(Array.from(document.querySelectorAll('dl.balance dd[data-field]'),
	dd => [dd.dataset.field, dd.innerText.trim()]))`

const pageJSWinners = `Array.from(document.querySelectorAll("ol.winners li[data-proposal]"),
	li => ({proposal: li.dataset.proposal, text: li.innerText.trim()}))`

const pageJSHistoryRows = `(() => { ` + pageJSField + `
	return Array.from(document.querySelectorAll("ol.history li[data-position]"), li => ({
		position: li.dataset.position, shown: f(li, '[data-field="position"]'), type: li.dataset.type,
	}));
})()`

// pageJSAccessibility lists what a screen-reader user would trip over; an empty list passes.
const pageJSAccessibility = `(() => {
	const problems = [];
	const lang = document.documentElement.getAttribute("lang") ?? "";
	if (!lang.trim()) problems.push("<html> has no lang");
	if (!document.title.trim()) problems.push("the page has no <title>");
	const h1 = document.querySelectorAll("h1").length;
	if (h1 !== 1) problems.push(h1 + " <h1> elements, want 1");
	document.querySelectorAll("table").forEach((table, i) => {
		const name = "table " + (i + 1);
		const caption = table.querySelector(":scope > caption");
		if (!caption || !caption.textContent.trim()) problems.push(name + " has no <caption>");
		const ths = table.querySelectorAll("th");
		if (ths.length === 0) problems.push(name + " has no <th>");
		ths.forEach(th => {
			if (!["col", "row", "colgroup", "rowgroup"].includes(th.getAttribute("scope")))
				problems.push(name + ": <th> " + JSON.stringify(th.textContent.trim()) + " has no scope");
		});
	});
	document.querySelectorAll("a").forEach(a => {
		const label = a.textContent.trim() || (a.getAttribute("aria-label") ?? "").trim();
		if (!label) problems.push("the link to " + a.getAttribute("href") + " has no text");
	});
	return problems;
})()`

// browser is one tab of a headless Chromium that its test owns.
type browser struct {
	ctx  context.Context
	base string
	// startErr is the result of starting the browser, readable once started is closed.
	started  chan struct{}
	startErr error
}

// mustStartBrowser starts Chromium in the background (while the demo loads); wait joins it.
func mustStartBrowser(tb testing.TB) *browser {
	tb.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		tb.Fatalf("this test drives a real Chromium at %s and cannot find it (%v): run `make test`, which installs it (scripts/test-deps.sh)", chromiumPath, err)
	}
	dir := tb.TempDir()
	logPath := filepath.Join(dir, "chromium.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		logFile.Close()
		if tb.Failed() {
			out, _ := os.ReadFile(logPath)
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			tb.Logf("chromium output (tail):\n%s", out)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(logFile),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &browser{ctx: ctx, started: make(chan struct{})}
	tb.Cleanup(func() {
		defer cancelAlloc()
		select {
		case <-b.started:
		case <-time.After(browserStepTimeout):
			return // a start that hangs: killing the process is all that is left
		}
		// Close the browser gracefully, so the profile directory is free before TempDir removes it.
		cctx, cancel := context.WithTimeout(ctx, browserStepTimeout)
		defer cancel()
		chromedp.Cancel(cctx)
		cancelTab()
	})
	// The first action binds the browser's life to ctx, so it runs without a timeout; wait bounds it.
	go func() {
		defer close(b.started)
		b.startErr = chromedp.Do(ctx)
	}()
	return b
}

// wait joins the start of the browser.
func (b *browser) wait(tb testing.TB) {
	tb.Helper()
	select {
	case <-b.started:
		if b.startErr != nil {
			tb.Fatalf("start chromium: %v", b.startErr)
		}
	case <-time.After(browserStepTimeout):
		tb.Fatalf("chromium did not start within %s", browserStepTimeout)
	}
}

func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, browserStepTimeout)
}

// open navigates to path, like a typed address, wants it answered 200 OK, and checks the page's
// accessibility basics.
func (b *browser) open(tb testing.TB, path string) {
	tb.Helper()
	b.openStatus(tb, path, http.StatusOK)
}

// openStatus is open for a page that answers wantStatus.
func (b *browser) openStatus(tb testing.TB, path string, wantStatus int64) {
	tb.Helper()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != wantStatus {
		tb.Errorf("open %s: status %d %s, want %d", path, resp.Status, resp.StatusText, wantStatus)
	}
	b.checkAccessibility(tb, path)
}

// click clicks the link that sel finds, waits for the page it opens, and checks that it is wantPath.
func (b *browser) click(tb testing.TB, sel, wantPath string) {
	tb.Helper()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		tb.Fatalf("click %s: %v", sel, err)
	}
	u, err := url.Parse(resp.URL)
	if err != nil {
		tb.Fatal(err)
	}
	if u.Path != wantPath {
		tb.Fatalf("click %s: opened %s, want %s", sel, u.Path, wantPath)
	}
	if resp.Status != http.StatusOK {
		tb.Fatalf("click %s: %s answered %d %s", sel, u.Path, resp.Status, resp.StatusText)
	}
	b.checkAccessibility(tb, wantPath)
}

// text is the rendered text of the first element that sel finds.
func (b *browser) text(tb testing.TB, sel string) string {
	tb.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); return el ? el.innerText.trim() : null; })()`, sel)
	ctx, cancel := b.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[*string](js))
	if err != nil {
		tb.Fatalf("read %s: %v", sel, err)
	}
	if s == nil {
		tb.Fatalf("the page has no %s", sel)
	}
	return *s
}

// pollText reloads path until sel shows want. Rankings are cached briefly, so a write shows a moment
// later; the deadline only guards against a hang.
func (b *browser) pollText(tb testing.TB, path, sel, want string) {
	tb.Helper()
	deadline := time.Now().Add(browserPollTimeout)
	for {
		got := b.text(tb, sel)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s %s: still %q after %s, want %q", path, sel, got, browserPollTimeout, want)
		}
		time.Sleep(50 * time.Millisecond)
		b.open(tb, path)
	}
}

func (b *browser) checkAccessibility(tb testing.TB, path string) {
	tb.Helper()
	for _, p := range evalPage[[]string](tb, b, "accessibility of "+path, pageJSAccessibility) {
		tb.Errorf("accessibility of %s: %s", path, p)
	}
}

// evalPage runs a script in the page and decodes its result.
func evalPage[T any](tb testing.TB, b *browser, what, js string) T {
	tb.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.Fatalf("read %s: %v", what, err)
	}
	return v
}

// The API's answers, as far as the page shows them.
type (
	jsonCycles struct {
		Cycles []jsonCycleSummary `json:"cycles"`
	}
	jsonCycleSummary struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		Phase            string `json:"phase"`
		Currency         string `json:"currency"`
		CurrencyExponent int    `json:"currency_exponent"`
		TotalBudget      int64  `json:"total_budget"`
		Ballots          int    `json:"ballots"`
	}
	jsonBalance struct {
		Budget     int64 `json:"budget"`
		Allocated  int64 `json:"allocated"`
		CoFinanced int64 `json:"co_financed"`
		Spent      int64 `json:"spent"`
		Remaining  int64 `json:"remaining"`
	}
	jsonCycle struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		Phase            string `json:"phase"`
		Currency         string `json:"currency"`
		CurrencyExponent int    `json:"currency_exponent"`
		DistrictViews    []struct {
			ID      string      `json:"id"`
			Name    string      `json:"name"`
			Ballots int         `json:"ballots"`
			Balance jsonBalance `json:"balance"`
		} `json:"district_views"`
		Totals jsonBalance `json:"totals"`
	}
	jsonRanking struct {
		DistrictName     string      `json:"district_name"`
		Currency         string      `json:"currency"`
		CurrencyExponent int         `json:"currency_exponent"`
		Budget           int64       `json:"budget"`
		Provisional      bool        `json:"provisional"`
		Ballots          int         `json:"ballots"`
		Entries          []jsonEntry `json:"entries"`
	}
	jsonEntry struct {
		Rank         int         `json:"rank"`
		ProposalID   string      `json:"proposal_id"`
		Title        string      `json:"title"`
		Status       string      `json:"status"`
		Withdrawn    bool        `json:"withdrawn"`
		Infeasible   bool        `json:"infeasible"`
		Cost         int64       `json:"cost"`
		Votes        int         `json:"votes"`
		Support      json.Number `json:"support"`
		SupportExact string      `json:"support_exact"`
		Selected     bool        `json:"selected"`
		Funded       int64       `json:"funded"`
		Reason       string      `json:"reason"`
	}
	jsonOutcome struct {
		Winners []struct {
			ProposalID string `json:"proposal_id"`
			Funded     int64  `json:"funded"`
		} `json:"winners"`
		Total  int64             `json:"total"`
		Titles map[string]string `json:"titles"`
	}
	jsonProposal struct {
		Title   string `json:"title"`
		Cost    int64  `json:"cost"`
		Votes   int    `json:"votes"`
		Funded  *int64 `json:"funded"`
		History []struct {
			Position uint64 `json:"position"`
			Type     string `json:"type"`
		} `json:"history"`
	}
	jsonProblem struct {
		Detail string `json:"detail"`
	}
)

func (c jsonCycle) money(minor int64) string {
	return formatMinorUnits(minor, c.CurrencyExponent, c.Currency)
}
func (r jsonRanking) money(minor int64) string {
	return formatMinorUnits(minor, r.CurrencyExponent, r.Currency)
}

// browserAPI reads and writes the JSON API of the server under test.
type browserAPI struct {
	base   string
	client *http.Client
}

func (a *browserAPI) do(tb testing.TB, req *http.Request, wantStatus int) []byte {
	tb.Helper()
	resp, err := a.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != wantStatus {
		tb.Fatalf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, wantStatus, body)
	}
	return body
}

func (a *browserAPI) get(tb testing.TB, path string, v any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, a.base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(a.do(tb, req, http.StatusOK), v); err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
}

func (a *browserAPI) problem(tb testing.TB, path string, wantStatus int) jsonProblem {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, a.base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var p jsonProblem
	if err := json.Unmarshal(a.do(tb, req, wantStatus), &p); err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	return p
}

// castBallot casts an approval ballot for one proposal and returns the log position it was written at.
func (a *browserAPI) castBallot(tb testing.TB, token, cycle, district, resident, proposal string) uint64 {
	tb.Helper()
	body, err := json.Marshal(map[string]any{
		"district_id": district,
		"resident_id": resident,
		"choices":     []map[string]string{{"proposal_id": proposal}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, a.base+"/v1/cycles/"+cycle+"/ballots", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	var w struct {
		Position uint64 `json:"position"`
	}
	if err := json.Unmarshal(a.do(tb, req, http.StatusCreated), &w); err != nil {
		tb.Fatalf("cast ballot: %v", err)
	}
	if w.Position == 0 {
		tb.Fatal("cast ballot: the answer has no log position")
	}
	return w.Position
}

func mustListedCycle(tb testing.TB, cs jsonCycles, id string) jsonCycleSummary {
	tb.Helper()
	for _, c := range cs.Cycles {
		if c.ID == id {
			return c
		}
	}
	tb.Fatalf("the API lists no cycle %q; the demo should have loaded it", id)
	return jsonCycleSummary{}
}

func mustFirstDistrict(tb testing.TB, api *browserAPI, cycle string) string {
	tb.Helper()
	var c jsonCycle
	api.get(tb, "/v1/cycles/"+cycle, &c)
	if len(c.DistrictViews) == 0 {
		tb.Fatalf("cycle %s has no districts", cycle)
	}
	return c.DistrictViews[0].ID
}

// formatMinorUnits writes minor units the way an English reader reads an amount: 50000000000 with exponent 2
// and "KZT" is "₸500,000,000" (no ".00": tiyn are not in use), 123456 is "₸1,234.56". Written independently
// of the page's formatter, so the two check each other.
func formatMinorUnits(minor int64, exponent int, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	unit := int64(1)
	for range exponent {
		unit *= 10
	}
	s := enInt(minor / unit)
	if minor%unit != 0 {
		s += fmt.Sprintf(".%0*d", exponent, minor%unit)
	}
	if currency == "KZT" {
		currency = "₸"
	}
	return sign + currency + s
}

// enInt writes a whole number with English digit grouping: 2784 is "2,784".
func enInt(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	whole := strconv.FormatInt(n, 10)
	var groups []string
	for len(whole) > 3 {
		groups = append([]string{whole[len(whole)-3:]}, groups...)
		whole = whole[:len(whole)-3]
	}
	return sign + strings.Join(append([]string{whole}, groups...), ",")
}

// enExact writes an exact number ("126" or "253/2") as the page does in English: grouped, at most two
// decimal places.
func enExact(exact string) string {
	num, den, frac := strings.Cut(exact, "/")
	n, _ := strconv.ParseInt(num, 10, 64)
	if !frac {
		return enInt(n)
	}
	d, _ := strconv.ParseInt(den, 10, 64)
	hundredths := (n*1000/d + 5) / 10 // rounded half up, for positive values
	s := enInt(hundredths / 100)
	if r := hundredths % 100; r != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", r), "0")
	}
	return s
}

func TestBrowserMoneyFormat(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		exponent int
		want     string
	}{
		{50000000000, 2, "₸500,000,000"},
		{1300000000, 2, "₸13,000,000"},
		{5, 2, "₸0.05"},
		{0, 2, "₸0"},
		{-123456, 2, "-₸1,234.56"},
		{999, 0, "₸999"},
		{1000, 0, "₸1,000"},
	} {
		if got := formatMinorUnits(tc.minor, tc.exponent, "KZT"); got != tc.want {
			t.Errorf("formatMinorUnits(%d, %d): got %q, want %q", tc.minor, tc.exponent, got, tc.want)
		}
	}
}

// phaseWord is a phase as the page names it: "implementation" reads "Implementation".
func phaseWord(p string) string {
	if p == "" {
		return ""
	}
	return strings.ToUpper(p[:1]) + p[1:]
}
