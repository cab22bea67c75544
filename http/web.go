package http

import (
	"bytes"
	"embed"
	"html/template"
	"math/big"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/projections"
)

// The public web page: plain server-rendered HTML, no script, one small stylesheet, so it is fast on any
// phone and works with screen readers. It shows exactly what the API shows: it reads the same model.

//go:embed web/*.html web/*.css web/*.js
var webFS embed.FS

type pages struct {
	tmpl    *template.Template
	css     []byte
	checkJS []byte // the one script: /check verifies receipts in the browser
}

func newPages() *pages {
	funcs := template.FuncMap{
		"money":  FormatMoney,
		"phase":  func(p domain.Phase) string { return strings.ToUpper(string(p[:1])) + string(p[1:]) },
		"inc":    func(i int) int { return i + 1 },
		"reason": reasonText,
		"deref":  func(m *domain.Money) domain.Money { return *m },
		// ratMoney rounds an exact amount ("p/q" minor units) down to a whole minor unit, for display.
		"ratMoney": func(s string) domain.Money {
			r, ok := new(big.Rat).SetString(s)
			if !ok {
				return 0
			}
			return domain.Money(new(big.Int).Quo(r.Num(), r.Denom()).Int64())
		},
	}
	t := template.Must(template.New("").Funcs(funcs).ParseFS(webFS, "web/*.html"))
	css, err := webFS.ReadFile("web/style.css")
	if err != nil {
		panic(err) // embedded at build time: cannot be missing
	}
	js, err := webFS.ReadFile("web/check.js")
	if err != nil {
		panic(err)
	}
	return &pages{tmpl: t, css: css, checkJS: js}
}

func (p *pages) routes(r chi.Router, s *Server) {
	r.Get("/", s.pageIndex)
	r.Get("/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(p.css)
	})
	r.Get("/cycles/{cycle}", s.pageCycle)
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
// "KZT" is "500,000.00 KZT". Integer arithmetic only.
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

// reasonText says in words why a proposal won or lost.
func reasonText(code string) string {
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
	case "":
		return ""
	}
	return strings.ReplaceAll(code, "-", " ")
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(buf.Bytes())
}

// pageError shows an error as a page for browsers (the API answers problem+json).
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	code, message, _ := classify(err)
	status, ok := statusFor[code]
	if !ok || status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "page", "path", r.URL.Path, "err", err)
		status, message = http.StatusInternalServerError, "Something went wrong on our side."
	}
	var buf bytes.Buffer
	s.pages.tmpl.ExecuteTemplate(&buf, "error.html", map[string]any{"Title": http.StatusText(status), "Message": message})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) pageIndex(w http.ResponseWriter, r *http.Request) {
	cycles, at := s.model.Cycles()
	s.render(w, r, "index.html", map[string]any{"Title": "Participatory budgets", "Cycles": cycles, "At": at})
}

func (s *Server) pageCycle(w http.ResponseWriter, r *http.Request) {
	c, err := s.model.Cycle(cycleParam(r))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, "cycle.html", map[string]any{"Title": c.Name, "C": c})
}

func (s *Server) pageDistrict(w http.ResponseWriter, r *http.Request) {
	cycle, district := cycleParam(r), districtParam(r)
	rk, err := s.model.DistrictRanking(cycle, district, 0)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	c, err := s.model.Cycle(cycle)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	b, _, err := s.model.DistrictBalance(cycle, district)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data := map[string]any{"Title": rk.DistrictName + " — " + c.Name, "C": c, "R": rk, "B": b}
	if o, err := s.model.DistrictOutcome(cycle, district); err == nil {
		data["O"] = o
	}
	if items, _, err := s.model.Tracker(cycle, district); err == nil && len(items) > 0 {
		data["T"] = items
	}
	s.render(w, r, "district.html", data)
}

func (s *Server) pageProposal(w http.ResponseWriter, r *http.Request) {
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
	s.render(w, r, "proposal.html", map[string]any{"Title": p.Title, "P": p, "C": c, "History": historyRows(p.History), "Author": s.authorDetails(r, p.Personal)})
}

// historyRow is a history entry for display.
type historyRow struct {
	projections.HistoryEntry
	Summary string
}

func historyRows(h []projections.HistoryEntry) []historyRow {
	rows := make([]historyRow, len(h))
	for i, e := range h {
		rows[i] = historyRow{HistoryEntry: e, Summary: string(e.Data)}
	}
	return rows
}
