package pabulib

import (
	"fmt"
	"math"
	"strings"
)

// MaxExponent is the most decimal places a Pabulib amount may have. Real files have at most 2 (grosze,
// cents); 6 leaves room while keeping every budget of the library far below the int64 limit.
const MaxExponent = 6

// decimalAmount is a non-negative decimal number as written in a file: value = mantissa / 10^places, with
// trailing zeros of the fraction dropped, so "1000.50" has places 1 and "1000.0" has places 0.
type decimalAmount struct {
	mantissa int64
	places   int
}

// parseDecimal reads an amount of money: digits, optionally followed by '.' or ',' and more digits
// ("1643824.66", "1000,00", "1000."). Signs, exponents and thousands separators are refused.
func parseDecimal(s string) (decimalAmount, error) {
	t := strings.TrimSpace(s)
	intPart, frac := t, ""
	if i := strings.IndexAny(t, ".,"); i >= 0 {
		intPart, frac = t[:i], t[i+1:]
	}
	if strings.HasPrefix(t, "-") {
		return decimalAmount{}, fmt.Errorf("%q is negative", s)
	}
	if intPart == "" || strings.Trim(intPart, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return decimalAmount{}, fmt.Errorf("%q is not a number", s)
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > MaxExponent {
		return decimalAmount{}, fmt.Errorf("%q has %d decimal places; at most %d are supported", s, len(frac), MaxExponent)
	}
	var n int64
	for _, d := range intPart + frac {
		if n > (math.MaxInt64-int64(d-'0'))/10 {
			return decimalAmount{}, fmt.Errorf("%q is too large", s)
		}
		n = n*10 + int64(d-'0')
	}
	return decimalAmount{mantissa: n, places: len(frac)}, nil
}

// scale returns the amount in units of 10^-exp (exp ≥ places).
func (d decimalAmount) scale(exp int) (int64, error) {
	n := d.mantissa
	for range exp - d.places {
		if n > math.MaxInt64/10 {
			return 0, fmt.Errorf("%d×10^-%d is too large at %d decimal places", d.mantissa, d.places, exp)
		}
		n *= 10
	}
	return n, nil
}

// parseMoney reads an amount and returns it in units of 10^-exp; an amount with more decimal places than
// exp is an error.
func parseMoney(s string, exp int) (int64, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return 0, err
	}
	if d.places > exp {
		return 0, fmt.Errorf("%q has %d decimal places, more than the file's currency exponent %d", s, d.places, exp)
	}
	return d.scale(exp)
}

// FormatMoney writes an amount counted in units of 10^-exp as a decimal, without trailing zeros in the
// fraction: FormatMoney(164382466, 2) is "1643824.66", FormatMoney(100050, 2) is "1000.5", FormatMoney(5, 0)
// is "5". Parse reads it back as the same amount.
func FormatMoney(amount int64, exp int) string {
	neg := amount < 0
	u := uint64(amount)
	if neg {
		u = -u
	}
	s := fmt.Sprintf("%0*d", exp+1, u)
	if exp > 0 {
		whole, frac := s[:len(s)-exp], strings.TrimRight(s[len(s)-exp:], "0")
		s = whole
		if frac != "" {
			s += "." + frac
		}
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Pow10 returns 10^exp for 0 ≤ exp ≤ MaxExponent.
func Pow10(exp int) int64 {
	n := int64(1)
	for range exp {
		n *= 10
	}
	return n
}
