package http

import (
	"embed"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
	"golang.org/x/text/number"

	"github.com/pbledger/pbledger/domain"
)

// The public page speaks Kazakh, Russian and English. The English text of each message is its key; the
// catalogs (web/i18n/*.json, beside the templates) map it to the translation (the English one holds only the
// few messages whose English is not the key itself, like the position of the currency symbol), and
// golang.org/x/text picks the language, formats the numbers and builds the catalogs. The JSON API is not
// translated: it speaks numbers and IDs.

//go:embed web/i18n/*.json
var catalogFS embed.FS

// Languages are the page's languages, the first being the fallback for readers who accept none of them.
var Languages = []language.Tag{language.English, language.Russian, language.Kazakh}

// langCookie remembers the reader's choice from the language switch (?lang=).
const langCookie = "lang"

// langNames are the languages as the switch names them, each in itself.
var langNames = map[string]string{"en": "English", "ru": "Русский", "kk": "Қазақша"}

// loadCatalog builds the message catalog from the embedded JSON files. A message missing from a catalog
// falls back to English (the key); TestCatalogsComplete keeps them complete.
func loadCatalog() (catalog.Catalog, error) {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for _, tag := range Languages {
		name := "web/i18n/" + tag.String() + ".json"
		raw, err := catalogFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		var msgs map[string]string
		if err := json.Unmarshal(raw, &msgs); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		for key, text := range msgs {
			if err := b.SetString(tag, key, text); err != nil {
				return nil, fmt.Errorf("i18n: %s: %q: %w", name, key, err)
			}
		}
	}
	return b, nil
}

// locale is one reader's language: its printer translates messages and formats numbers.
type locale struct {
	Code string // "en", "ru" or "kk"
	p    *message.Printer
}

func newLocale(tag language.Tag, cat catalog.Catalog) *locale {
	return &locale{Code: tag.String(), p: message.NewPrinter(tag, message.Catalog(cat))}
}

// T translates a message and formats its arguments (numbers with the language's separators).
func (l *locale) T(key string, args ...any) string { return l.p.Sprintf(key, args...) }

// Int writes a whole number with the language's digit grouping: 1,234 in English, 1 234 in Russian.
func (l *locale) Int(n any) string { return l.p.Sprintf("%d", n) }

// decimalSep is the language's decimal separator.
func (l *locale) decimalSep() string {
	s := l.p.Sprint(number.Decimal(1.5))
	return s[1 : len(s)-1]
}

// Money writes an amount in minor units the way the reader's language writes money: "500 000 000 ₸" in
// Kazakh and Russian, "₸500,000,000" in English. Whole amounts have no fraction: the budgets are whole
// tenge, and "500 000 000,00 ₸" only adds noise. The arithmetic is integer only.
func (l *locale) Money(amount domain.Money, exponent int, code string) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	unit := int64(1)
	for range exponent {
		unit *= 10
	}
	whole, frac := int64(amount)/unit, int64(amount)%unit
	s := l.Int(whole)
	if frac != 0 {
		s += l.decimalSep() + fmt.Sprintf("%0*d", exponent, frac)
	}
	sym := code
	if u, err := currency.ParseISO(code); err == nil {
		sym = l.p.Sprint(currency.NarrowSymbol(u))
	}
	// The position of the symbol is the language's: a message of its own.
	s = l.p.Sprintf("%[1]s %[2]s", s, sym)
	if neg {
		s = "-" + s
	}
	return s
}

// Decimal writes an exact number given as an integer or "p/q" (a mean score, a weighted support) as a
// decimal with at most two places, in the language's format: 13/2 is "6.5" in English, "6,5" in Russian.
func (l *locale) Decimal(exact string) string {
	if exact == "" {
		return ""
	}
	r, ok := new(big.Rat).SetString(exact)
	if !ok {
		return exact
	}
	if r.IsInt() && r.Num().IsInt64() {
		return l.Int(r.Num().Int64())
	}
	s := strings.TrimRight(strings.TrimRight(r.FloatString(2), "0"), ".")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	out := l.Int(n)
	if frac != "" {
		out += l.decimalSep() + frac
	}
	if r.Sign() < 0 {
		out = "-" + out
	}
	return out
}

// Text picks the reader's language from a map of translations (names and titles given in several
// languages), falling back to the plain text.
func (l *locale) Text(plain string, tr map[string]string) string {
	if s := tr[l.Code]; s != "" {
		return s
	}
	return plain
}

// localeFor picks the reader's language: ?lang= (which the switch links set, and which is then remembered
// in a cookie), else the remembered choice, else the best match for Accept-Language.
func (p *pages) localeFor(w http.ResponseWriter, r *http.Request) *locale {
	if v := r.URL.Query().Get("lang"); v != "" {
		if l, ok := p.locales[v]; ok {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: v, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteLaxMode})
			return l
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := p.locales[c.Value]; ok {
			return l
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, _ := p.matcher.Match(tags...)
	return p.locales[Languages[i].String()]
}

// langLink is one entry of the language switch: Href is the same page (with its filters) in that language.
type langLink struct {
	Code, Name, Href string
	Current          bool
}

func langLinks(current string, query url.Values) []langLink {
	var out []langLink
	for _, t := range Languages {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("lang", t.String())
		out = append(out, langLink{Code: t.String(), Name: langNames[t.String()], Href: "?" + q.Encode(), Current: t.String() == current})
	}
	sort.SliceStable(out, func(i, j int) bool { return order(out[i].Code) < order(out[j].Code) })
	return out
}

// order lists the switch as residents of Almaty expect it: Kazakh, Russian, English.
func order(code string) int { return strings.Index("kk ru en", code) }
