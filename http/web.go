package http

import (
	"bytes"
	"embed"
	"html/template"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/text/language"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/projections"
)

// The public web page: plain server-rendered HTML, no script, one small stylesheet, so it is fast on any
// phone and works with screen readers. It shows exactly what the API shows: it reads the same model. It is
// written in Kazakh, Russian and English (i18n.go); every page fits 360–1280 px wide screens without
// sideways scrolling (tables turn into cards on phones, style.css).

//go:embed web/*.html web/*.css web/*.js
var webFS embed.FS

type pages struct {
	// tmpl holds one template set per language: the functions are bound to the language's locale.
	tmpl    map[string]*template.Template
	locales map[string]*locale
	matcher language.Matcher
	css     []byte
	checkJS []byte // the one script: /check verifies receipts in the browser
}

func newPages() *pages {
	cat, err := loadCatalog()
	if err != nil {
		panic(err) // embedded at build time and checked by the tests: cannot be missing
	}
	base := template.Must(template.New("").Funcs(pageFuncs(newLocale(language.English, cat))).ParseFS(webFS, "web/*.html"))
	p := &pages{tmpl: map[string]*template.Template{}, locales: map[string]*locale{}, matcher: language.NewMatcher(Languages)}
	for _, tag := range Languages {
		l := newLocale(tag, cat)
		p.locales[l.Code] = l
		t := template.Must(base.Clone())
		p.tmpl[l.Code] = t.Funcs(pageFuncs(l))
	}
	css, err := webFS.ReadFile("web/style.css")
	if err != nil {
		panic(err) // embedded at build time: cannot be missing
	}
	p.css = css
	if p.checkJS, err = webFS.ReadFile("web/check.js"); err != nil {
		panic(err)
	}
	return p
}

// pageFuncs are the templates' functions in one language.
func pageFuncs(l *locale) template.FuncMap {
	return template.FuncMap{
		"t":     l.T,
		"money": l.Money,
		"int":   l.Int,
		"dec":   l.Decimal,
		"text":  l.Text,
		"phase": func(p domain.Phase) string { return l.T(phaseKey(p)) },
		"status": func(s domain.ProposalStatus, withdrawn, infeasible bool) string {
			return proposalStatusText(l, s, withdrawn, infeasible)
		},
		"reason":    func(code string) string { return l.T(reasonKey(code)) },
		"rule":      func(name outcome.RuleName) string { return l.T(ruleKey(name)) },
		"excluded":  func(e projections.RankingEntry, min int64) string { return exclusionText(l, e, min) },
		"milestone": func(s domain.MilestoneStatus) string { return l.T(milestoneWord(s)) },
		"inc":       func(i int) int { return i + 1 },
		"dec1":      func(p eventstore.Position) eventstore.Position { return p - 1 },
		"deref":     func(m *domain.Money) domain.Money { return *m },
		"pct":       percent,
		"date":      l.Date,
		"left":      func(t time.Time) string { return l.Left(t, time.Now()) },
		// ratMoney rounds an exact amount ("p/q" minor units) down to a whole minor unit, for display.
		"ratMoney": func(s string) domain.Money {
			r, ok := new(big.Rat).SetString(s)
			if !ok {
				return 0
			}
			return domain.Money(new(big.Int).Quo(r.Num(), r.Denom()).Int64())
		},
	}
}

// percent is part of whole in percent, 0..100, for the width of a bar; integer arithmetic.
func percent(part, whole any) int {
	p, w := toInt64(part), toInt64(whole)
	if w <= 0 || p <= 0 {
		return 0
	}
	if p >= w {
		return 100
	}
	return int(p * 100 / w)
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case domain.Money:
		return int64(n)
	}
	return 0
}

func (p *pages) routes(r chi.Router, s *Server) {
	r.Get("/", s.pageIndex)
	r.Get("/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(p.css)
	})
	r.Get("/cycles/{cycle}", s.pageCycle)
	r.Get("/cycles/{cycle}/proposals", s.pageProposals)
	r.Get("/cycles/{cycle}/districts/{district}", s.pageDistrict)
	r.Get("/proposals/{proposal}", s.pageProposal)
	r.Get("/check", s.pageCheck) // check a ballot receipt (translog.go)
	r.Get("/check.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(p.checkJS)
	})
}

// FormatMoney writes minor units as a decimal amount with thousands separators: 50000000 with exponent 2 and
// "KZT" is "500,000.00 KZT". Integer arithmetic only. It is the command line's format; the page writes money
// in the reader's language (locale.Money).
func FormatMoney(amount domain.Money, exponent int, currency string) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	digits := strconv.FormatInt(int64(amount), 10)
	for len(digits) <= exponent {
		digits = "0" + digits
	}
	whole, frac := digits[:len(digits)-exponent], digits[len(digits)-exponent:]
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	if currency != "" {
		b.WriteByte(' ')
		b.WriteString(currency)
	}
	return b.String()
}

// phaseKey is a phase's name as a message key.
func phaseKey(p domain.Phase) string {
	if p == "" {
		return ""
	}
	return strings.ToUpper(string(p[:1])) + string(p[1:])
}

// reasonKey says in words (a message key) why a proposal won or lost.
func reasonKey(code string) string {
	switch code {
	case "funded":
		return "Funded"
	case "not-eligible":
		return "Not eligible"
	case "does-not-fit":
		return "Did not fit in the remaining budget"
	case "stopped":
		return "Not reached: counting stopped at the first proposal that did not fit"
	case "below-threshold":
		return "Support below the threshold"
	case "no-support":
		return "No support"
	case "supporters-cannot-afford":
		return "Its supporters' equal shares could not pay for it"
	case "above-budget":
		return "Costs more than the whole budget"
	case "exclusive":
		return "Another proposal it excludes was funded first"
	case "":
		return ""
	}
	return strings.ReplaceAll(code, "-", " ")
}

// ruleKey names an outcome rule in words (a message key); the rule's ID stays beside it on the page.
func ruleKey(name outcome.RuleName) string {
	switch name {
	case outcome.Greedy:
		return "Most votes first, while the money lasts"
	case outcome.GreedyNoSkip:
		return "Most votes first, stopping at the first that does not fit"
	case outcome.GreedyThreshold:
		return "Most votes first, above a minimum support"
	case outcome.GreedyExclusive:
		return "Most votes first, while the money lasts, one of each exclusive group"
	case outcome.EqualShares, outcome.EqualSharesComparison:
		return "Method of Equal Shares"
	case outcome.EqualSharesAdd1, outcome.EqualSharesAdd1Comparison, outcome.EqualSharesAdd1Greedy:
		return "Method of Equal Shares, completed"
	}
	return string(name)
}

// exclusionText says in words why a proposal was not eligible, from the ranking's flags (the domain's detail
// is English): withdrawn, infeasible, not assessed, or a mean score below the cycle's minimum.
func exclusionText(l *locale, e projections.RankingEntry, minScore int64) string {
	switch {
	case e.Withdrawn:
		return l.T("withdrawn by its author")
	case e.Infeasible:
		return l.T("found infeasible")
	case e.MeanScoreExact == "":
		return l.T("not assessed")
	}
	return l.T("the mean expert score %s is below the minimum %d", l.Decimal(e.MeanScoreExact), minScore)
}

// proposalStatusText is a proposal's status in words.
func proposalStatusText(l *locale, s domain.ProposalStatus, withdrawn, infeasible bool) string {
	var out string
	switch s {
	case domain.StatusSubmitted:
		out = l.T("Awaiting moderation")
	case domain.StatusPublished:
		out = l.T("Published")
	case domain.StatusRejected:
		out = l.T("Rejected")
	default:
		out = string(s)
	}
	if withdrawn {
		out += ", " + l.T("withdrawn by its author")
	}
	if infeasible {
		out += ", " + l.T("found infeasible")
	}
	return out
}

// render writes a page in the reader's language. data gets the locale ("L"), the language switch ("Langs")
// and the path; "Title" is the page's title, already in the reader's language.
func (s *Server) render(w http.ResponseWriter, r *http.Request, l *locale, name string, data map[string]any) {
	data["L"], data["Langs"], data["Path"] = l, langLinks(l.Code, r.URL.Query()), r.URL.Path
	var buf bytes.Buffer
	if err := s.pages.tmpl[l.Code].ExecuteTemplate(&buf, name, data); err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", l.Code)
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Accept-Language, Cookie")
	w.Write(buf.Bytes())
}

// pageError shows an error as a page for browsers (the API answers problem+json).
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	l := s.pages.localeFor(w, r)
	code, message, _ := classify(err)
	status, ok := statusFor[code]
	if !ok || status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "page", "path", r.URL.Path, "err", err)
		status, message = http.StatusInternalServerError, l.T("Something went wrong on our side.")
	}
	var buf bytes.Buffer
	s.pages.tmpl[l.Code].ExecuteTemplate(&buf, "error.html", map[string]any{"Title": l.T(http.StatusText(status)),
		"Message": message, "L": l, "Langs": langLinks(l.Code, r.URL.Query()), "Path": r.URL.Path})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", l.Code)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) pageIndex(w http.ResponseWriter, r *http.Request) {
	l := s.pages.localeFor(w, r)
	cycles, at := s.model.Cycles()
	s.render(w, r, l, "index.html", map[string]any{"Title": l.T("Participatory budgets"), "Cycles": cycles, "At": at})
}

func (s *Server) pageCycle(w http.ResponseWriter, r *http.Request) {
	l := s.pages.localeFor(w, r)
	c, err := s.model.Cycle(cycleParam(r))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, l, "cycle.html", map[string]any{"Title": l.Text(c.Name, c.Names), "C": c, "Voting": votingState(c)})
}

func (s *Server) pageProposal(w http.ResponseWriter, r *http.Request) {
	l := s.pages.localeFor(w, r)
	p, err := s.model.Proposal(domain.ProposalID(chi.URLParam(r, "proposal")))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	c, err := s.model.Cycle(p.CycleID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var district domain.District
	for _, d := range c.Districts {
		if d.ID == p.DistrictID {
			district = d
		}
	}
	s.render(w, r, l, "proposal.html", map[string]any{"Title": l.Text(p.Title, p.Titles), "P": p, "C": c,
		"D": district, "History": historyRows(l, c, p.History), "Author": s.authorDetails(r, p.Personal)})
}
