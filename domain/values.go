package domain

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Money is an amount in the smallest unit of the cycle's currency (tiyn for KZT). It is never a float: sums
// of money are exact, and rules that divide money use math/big.Rat.
type Money int64

// MaxMoney caps every amount the domain accepts (10^15 minor units: ten trillion tenge). The cap keeps sums of
// thousands of amounts far from int64 overflow; the domain still checks every sum it makes.
const MaxMoney Money = 1_000_000_000_000_000

// addMoney returns a+b, or ok false if the sum overflows int64.
func addMoney(a, b Money) (Money, bool) {
	if b > 0 && a > math.MaxInt64-b || b < 0 && a < math.MinInt64-b {
		return 0, false
	}
	return a + b, true
}

// Location is a point given in integer micro-degrees (1e-6°, about 11 cm), so no float ever reaches an event.
// Use ParseDegrees to read decimal strings such as "43.238949".
type Location struct {
	LatMicro int64 `json:"lat_micro_deg"`
	LonMicro int64 `json:"lon_micro_deg"`
}

// Validate reports whether l is on the globe.
func (l Location) Validate() error {
	if l.LatMicro < -90_000_000 || l.LatMicro > 90_000_000 {
		return invalidf("latitude %s is outside -90..90", FormatDegrees(l.LatMicro))
	}
	if l.LonMicro < -180_000_000 || l.LonMicro > 180_000_000 {
		return invalidf("longitude %s is outside -180..180", FormatDegrees(l.LonMicro))
	}
	return nil
}

// ParseDegrees reads a decimal number of degrees with at most six fractional digits ("43.238949", "-7",
// "76.9") into micro-degrees, exactly. It refuses exponents, more digits and anything that is not a plain decimal.
func ParseDegrees(s string) (int64, error) {
	orig := s
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 3 || len(frac) > 6 || strings.Contains(s, ".") && frac == "" {
		return 0, invalidf("degrees %q must be a decimal like 43.238949 with at most 6 fractional digits", orig)
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, invalidf("degrees %q must be a decimal like 43.238949 with at most 6 fractional digits", orig)
			}
		}
	}
	frac += strings.Repeat("0", 6-len(frac))
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, invalidf("degrees %q: %v", orig, err)
	}
	if neg {
		v = -v
	}
	return v, nil
}

// FormatDegrees writes micro-degrees as a decimal number of degrees with six fractional digits.
func FormatDegrees(micro int64) string {
	sign := ""
	u := uint64(micro)
	if micro < 0 {
		sign = "-"
		u = uint64(-micro)
	}
	return sign + strconv.FormatUint(u/1_000_000, 10) + "." + leftPad(strconv.FormatUint(u%1_000_000, 10), 6)
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// Text limits, in characters (runes). They keep events small and displays sane.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 20_000
	MaxNameLen        = 200
	MaxReasonLen      = 2_000
	MaxCommentLen     = 10_000
	MaxCategoryLen    = 100
	MaxExternalRefLen = 128
	MaxLotSeedLen     = 256
)

// checkText validates free text: valid UTF-8, at most max runes, no control characters except newlines and
// tabs when multiline, and not blank when required.
func checkText(what, s string, required, multiline bool, max int) error {
	if !utf8.ValidString(s) {
		return invalidf("%s is not valid UTF-8", what)
	}
	if required && strings.TrimSpace(s) == "" {
		return invalidf("%s is required", what)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalidf("%s is %d characters long; at most %d are allowed", what, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return invalidf("%s contains a control character %U", what, r)
		}
		if bidiControl(r) {
			return invalidf("%s contains the bidirectional control %U, which can make shown text read otherwise than it is stored", what, r)
		}
		if !multiline && invisible(r) {
			return invalidf("%s contains the invisible character %U", what, r)
		}
	}
	return nil
}

// RefusedInOneLine reports whether one-line text shown on the page (a title, a name) may not hold r: a
// bidirectional control or an invisible character. Importers of outside data drop them (they change only how
// the text looks); the API refuses them.
func RefusedInOneLine(r rune) bool { return bidiControl(r) || invisible(r) }

// bidiControl reports the explicit bidirectional formatting characters (Unicode UAX #9: embeddings,
// overrides, isolates and the directional marks), which let text shown on the page read differently from
// what it holds ("Trojan Source"). Right-to-left scripts need none of them.
func bidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// invisible reports zero-width and invisible characters, refused in one-line text (titles, names) where they
// make two different strings look the same. Descriptions keep the joiners some scripts need (ZWNJ in Persian).
func invisible(r rune) bool {
	return r >= 0x200B && r <= 0x200D || r >= 0x2060 && r <= 0x2064 || r == 0xFEFF || r == 0x180E || r == 0x034F || r == 0x00AD
}
