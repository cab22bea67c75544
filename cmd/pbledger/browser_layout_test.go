package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserLayout reads every kind of public page in Kazakh, Russian and English at phone and desktop
// widths in a real headless Chromium, and checks the layout rules: nothing is wider than the screen (no
// sideways scrolling), and the key figures are on screen. It writes a screenshot of each page at 390 and
// 1280 px to $PBLEDGER_SCREENSHOTS (or the test's temporary directory) for a person to look at.
func TestBrowserLayout(t *testing.T) {
	b := mustStartBrowser(t)
	ts := startTestServer(t, true)
	b.base = ts.URL
	b.wait(t)
	api := &browserAPI{base: ts.URL, client: &http.Client{Timeout: browserStepTimeout}}

	dir := os.Getenv("PBLEDGER_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A funded proposal with a full history: the first winner of Almaly 2025.
	var o jsonOutcome
	api.get(t, "/v1/cycles/almaty-2025/districts/almaly/outcome", &o)
	if len(o.Winners) == 0 {
		t.Fatal("the demo's almaty-2025/almaly has no winners")
	}
	funded := o.Winners[0].ProposalID

	pages := []struct {
		name, path string
		// key figures: each selector must find at least one element, and every element it finds must be
		// fully on screen horizontally.
		key []string
		// want is text the page must show in each language (kk, ru, en), to prove it is translated.
		want map[string]string
	}{
		{"index", "/", []string{`tr[data-cycle] [data-field="budget"]`, `tr[data-cycle] [data-field="ballots"]`},
			map[string]string{"kk": "Қатысу бюджеттері", "ru": "Бюджеты участия", "en": "Participatory budgets"}},
		{"cycle", "/cycles/almaty-2025", []string{`tr[data-district] [data-field="budget"]`, `tr[data-district] [data-field="allocated"]`, `tr[data-district] [data-field="remaining"]`},
			map[string]string{"kk": "Алматы қатысу бюджеті 2025", "ru": "Бюджет участия Алматы 2025", "en": "Almaty Participation Budget 2025"}},
		{"district-outcome", "/cycles/almaty-2025/districts/almaly", []string{`[data-field="balance-budget"]`, `[data-field="balance-allocated"]`, `[data-field="balance-remaining"]`, `table.ranking [data-field="result"]`, `ol.bars svg`},
			map[string]string{"kk": "Алмалы ауданы", "ru": "Алмалинский район", "en": "Almaly"}},
		{"district-voting", "/cycles/almaty-2026/districts/almaly", []string{`[data-field="voting-closes"]`, `[data-field="time-left"]`, `[data-field="balance-budget"]`, `[data-field="balance-remaining"]`, `[data-field="portal"]`, `table.ranking [data-field="result"]`},
			map[string]string{"kk": "Дауыс беру ашық.", "ru": "Голосование открыто.", "en": "Voting is open."}},
		{"proposal", "/proposals/" + funded, []string{`[data-field="cost"]`, `[data-field="funded"]`, `ol.history li`},
			map[string]string{"kk": "Тарих", "ru": "История", "en": "History"}},
		{"proposals", "/cycles/almaty-2026/proposals?district=almaly", []string{`tr[data-proposal] th a`, `form.filters button`},
			map[string]string{"kk": "Ұсыныстар", "ru": "Предложения", "en": "Proposals"}},
		{"check", "/check", []string{`form#check button`, `input#hash`},
			map[string]string{"kk": "Бюллетенімді тексеру", "ru": "Проверить мой бюллетень", "en": "Check my ballot"}},
	}
	t.Run("the language switch is remembered", func(t *testing.T) {
		b.open(t, "/cycles/almaty-2026/proposals?district=almaly")
		b.click(t, `nav.langs a[data-lang="ru"]`, "/cycles/almaty-2026/proposals")
		if got := evalPage[string](t, b, "lang", `document.documentElement.lang`); got != "ru" {
			t.Errorf("after choosing Русский: <html lang=%q>", got)
		}
		if got := evalPage[string](t, b, "district filter", `document.querySelector('select[name="district"]').value`); got != "almaly" {
			t.Errorf("the switch lost the page's filters: district %q", got)
		}
		b.open(t, "/cycles/almaty-2025")
		if got := b.text(t, "h1"); got != "Бюджет участия Алматы 2025" {
			t.Errorf("the next page, opened without ?lang=: heading %q, want it in Russian", got)
		}
	})

	shots := map[int]bool{390: true, 1280: true}
	for _, width := range []int64{360, 390, 768, 1024, 1280} {
		for _, lang := range []string{"kk", "ru", "en"} {
			for _, p := range pages {
				t.Run(fmt.Sprintf("%s at %d px in %s", p.name, width, lang), func(t *testing.T) {
					b.viewport(t, width)
					sep := "?"
					if strings.Contains(p.path, "?") {
						sep = "&"
					}
					b.open(t, p.path+sep+"lang="+lang)
					if got := evalPage[string](t, b, "lang", `document.documentElement.lang`); got != lang {
						t.Errorf("<html lang>: got %q, want %q", got, lang)
					}
					if text := evalPage[string](t, b, "text", `document.body.innerText`); !strings.Contains(text, p.want[lang]) {
						t.Errorf("the page does not say %q", p.want[lang])
					}
					for _, problem := range evalPage[[]string](t, b, "layout", fmt.Sprintf(pageJSLayout, jsStrings(p.key))) {
						t.Errorf("layout: %s", problem)
					}
					if shots[int(width)] {
						ctx, cancel := b.step()
						defer cancel()
						png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
						if err != nil {
							t.Fatalf("screenshot: %v", err)
						}
						name := filepath.Join(dir, fmt.Sprintf("%s-%d-%s.png", p.name, width, lang))
						if err := os.WriteFile(name, png, 0o644); err != nil {
							t.Fatal(err)
						}
					}
				})
			}
		}
	}
	t.Logf("screenshots at 390 and 1280 px: %s", dir)
}

// viewport sets the tab's screen to width CSS pixels, as a phone (below 768) or a desktop.
func (b *browser) viewport(tb testing.TB, width int64) {
	tb.Helper()
	ctx, cancel := b.step()
	defer cancel()
	var err error
	if width < 768 {
		_, err = chromedp.Run(ctx, chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile, chromedp.EmulateScale(1)))
	} else {
		_, err = chromedp.Run(ctx, chromedp.EmulateViewport(width, 900))
	}
	if err != nil {
		tb.Fatalf("set viewport to %d px: %v", width, err)
	}
}

func jsStrings(ss []string) string {
	var q []string
	for _, s := range ss {
		q = append(q, fmt.Sprintf("%q", s))
	}
	return "[" + strings.Join(q, ",") + "]"
}

// pageJSLayout lists the layout problems of the page: the page scrolls sideways, an element sticks out of
// the screen, or a key figure (the selectors in %s) is missing or not fully on screen (an empty one, like
// the result of a proposal that was never a candidate, need only be within the screen). Elements moved off
// screen on purpose (the skip link until focused, a card table's visually hidden header) do not count.
const pageJSLayout = `(() => {
	const problems = [];
	const vw = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth > vw) problems.push("the page is " + document.documentElement.scrollWidth + " px wide on a " + vw + " px screen");
	const hidden = el => el.closest(".skip") || el.closest("thead") && getComputedStyle(el.closest("thead")).position === "absolute";
	const name = el => el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\s+/g, ".") : "") + (el.dataset.field ? "[" + el.dataset.field + "]" : "");
	for (const el of document.body.querySelectorAll("*")) {
		if (hidden(el)) continue;
		const r = el.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue;
		if (r.right > vw + 0.5 || r.left < -0.5) problems.push(name(el) + " spans " + Math.round(r.left) + ".." + Math.round(r.right) + " px on a " + vw + " px screen: " + JSON.stringify((el.innerText || "").slice(0, 40)));
	}
	for (const sel of %s) {
		const els = document.querySelectorAll(sel);
		if (els.length === 0) { problems.push("no key figure " + sel); continue; }
		els.forEach(el => {
			const r = el.getBoundingClientRect();
			if ((r.width === 0 && el.innerText.trim() !== "") || r.left < 0 || r.right > vw) problems.push("key figure " + sel + " is not fully on screen (" + Math.round(r.left) + ".." + Math.round(r.right) + " px)");
		});
	}
	return problems.slice(0, 20);
})()`
