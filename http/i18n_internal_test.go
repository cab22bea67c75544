package http

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
)

// An internal test: it reads the unexported message keys the code produces.

// TestCatalogsComplete checks that every message the templates and the code use is in the Kazakh and
// Russian catalogs, and that the catalogs hold nothing else, so a new label cannot ship in English only.
func TestCatalogsComplete(t *testing.T) {
	used := map[string]bool{}
	tmplKey := regexp.MustCompile(`\bt "((?:[^"\\]|\\.)*)"`)
	files, _ := filepath.Glob("web/*.html")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	codeKey := regexp.MustCompile(`l\.T\("((?:[^"\\]|\\.)*)"`)
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codeKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	// Keys the code computes.
	for _, p := range []domain.Phase{domain.PhaseSubmission, domain.PhaseReview, domain.PhaseVoting, domain.PhaseAssessment,
		domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed} {
		used[phaseKey(p)] = true
	}
	for _, r := range []string{"funded", "not-eligible", "does-not-fit", "stopped", "below-threshold", "no-support", "supporters-cannot-afford", "above-budget", "exclusive"} {
		used[reasonKey(r)] = true
	}
	for _, r := range []domain.AssessorRole{domain.RoleExpert, domain.RolePublicCouncil, domain.RoleBudgetCommission} {
		used[roleWord(r)] = true
	}
	for _, s := range []domain.MilestoneStatus{domain.MilestonePlanned, domain.MilestoneInProgress, domain.MilestoneCompleted,
		domain.MilestoneDelayed, domain.MilestoneCancelled} {
		used[milestoneWord(s)] = true
	}
	for _, s := range []string{"submitted", "published", "rejected", "withdrawn", "infeasible", "funded"} {
		used[s] = true // the status filter's options
	}
	for _, status := range statusFor {
		used[http.StatusText(status)] = true
	}
	// Error titles the catalogs may hold ahead of the status table (so a new code shows translated).
	allowed := map[string]bool{}
	for code := 400; code < 600; code++ {
		allowed[http.StatusText(code)] = true
	}
	for _, r := range []outcome.RuleName{outcome.Greedy, outcome.GreedyNoSkip, outcome.GreedyThreshold, outcome.GreedyExclusive, outcome.EqualShares,
		outcome.EqualSharesAdd1} {
		used[ruleKey(r)] = true
	}
	used["%[1]s %[2]s"] = true // the position of the currency symbol
	for _, m := range monthKeys {
		used[m] = true
	}
	for _, tag := range Languages[1:] {
		b, err := os.ReadFile("web/i18n/" + tag.String() + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var cat map[string]string
		if err := json.Unmarshal(b, &cat); err != nil {
			t.Fatal(err)
		}
		for key := range used {
			if cat[key] == "" {
				t.Errorf("%s: no translation of %q", tag, key)
			}
		}
		for key := range cat {
			if !used[key] && !allowed[key] {
				t.Errorf("%s: %q is translated but never used", tag, key)
			}
		}
	}
}

func TestLocaleMoney(t *testing.T) {
	p := newPages()
	const nb = "\u00a0"
	for _, tc := range []struct {
		lang     string
		amount   domain.Money
		exponent int
		currency string
		want     string
	}{
		{"en", 50_000_000_000, 2, "KZT", "₸500,000,000"},
		{"ru", 50_000_000_000, 2, "KZT", "500" + nb + "000" + nb + "000" + nb + "₸"},
		{"kk", 50_000_000_000, 2, "KZT", "500" + nb + "000" + nb + "000" + nb + "₸"},
		{"en", 123456, 2, "KZT", "₸1,234.56"},
		{"ru", 123456, 2, "KZT", "1" + nb + "234,56" + nb + "₸"},
		{"en", 5, 2, "KZT", "₸0.05"},
		{"en", 0, 2, "KZT", "₸0"},
		{"en", -123456, 2, "KZT", "-₸1,234.56"},
		{"en", 1000, 0, "PLN", "zł1,000"},
		{"ru", 1000, 0, "PLN", "1" + nb + "000" + nb + "zł"},
		{"en", 1000, 0, "XYZ", "XYZ1,000"}, // a code x/text does not know keeps its code
	} {
		if got := p.locales[tc.lang].Money(tc.amount, tc.exponent, tc.currency); got != tc.want {
			t.Errorf("%s Money(%d, %d, %s): got %q, want %q", tc.lang, tc.amount, tc.exponent, tc.currency, got, tc.want)
		}
	}
	for _, tc := range []struct{ lang, exact, want string }{
		{"en", "13/2", "6.5"}, {"ru", "13/2", "6,5"}, {"en", "20/3", "6.67"}, {"en", "126", "126"},
		{"en", "1234", "1,234"}, {"ru", "1234", "1" + nb + "234"}, {"en", "-1/2", "-0.5"}, {"en", "", ""},
	} {
		if got := p.locales[tc.lang].Decimal(tc.exact); got != tc.want {
			t.Errorf("%s Decimal(%q): got %q, want %q", tc.lang, tc.exact, got, tc.want)
		}
	}
}

func TestLocaleDates(t *testing.T) {
	p := newPages()
	almaty := time.FixedZone("+05", 5*3600) // Asia/Almaty, without needing the tz database
	at := time.Date(2026, time.March, 2, 18, 0, 0, 0, almaty)
	for lang, want := range map[string]string{"en": "March 2, 2026, 18:00", "ru": "2 марта 2026, 18:00", "kk": "2026 жылғы 2 наурыз, 18:00"} {
		if got := p.locales[lang].Date(at); got != want {
			t.Errorf("%s Date: got %q, want %q", lang, got, want)
		}
	}
	for _, tc := range []struct {
		lang   string
		before time.Duration
		want   string
	}{
		{"en", 74 * time.Hour, "days left: 3"}, {"ru", 74 * time.Hour, "осталось дней: 3"}, {"kk", 5 * time.Hour, "қалған сағат: 5"},
		{"en", 90 * time.Second, "minutes left: 2"}, {"en", 0, ""}, {"en", -time.Hour, ""},
	} {
		if got := p.locales[tc.lang].Left(at, at.Add(-tc.before)); got != tc.want {
			t.Errorf("%s Left %s before: got %q, want %q", tc.lang, tc.before, got, tc.want)
		}
	}
}
