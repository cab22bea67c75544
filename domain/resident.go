package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ResidentPolicy is what a cycle declares about its residents when it opens. Every field is optional and its
// zero value is what cycles opened before the field existed did, so their logs replay unchanged; the HTTP API
// gives new cycles the safer defaults (see docs/SECURITY.md).
type ResidentPolicy struct {
	// VoterKeys names how resident IDs become voter keys: "" or VoterKeysV1 (one key per resident for every
	// cycle and role: the logs written before v2) or VoterKeysV2 (one key per cycle and per purpose — ballots,
	// authorship, pledges — so that none can be linked to another without the server's secret).
	VoterKeys string `json:"voter_keys,omitempty"`
	// DistrictsPerVoter is how many districts of the cycle one resident may vote in; 0 means any number.
	DistrictsPerVoter int `json:"districts_per_voter,omitempty"`
	// HideResultsDuringVoting withholds rankings, vote counts and the choices of ballot events from the
	// public until voting closes (see projections.Model.Withheld).
	HideResultsDuringVoting bool `json:"hide_results_during_voting,omitempty"`
	// ResidentIDPattern, if set, is the form every resident ID of the cycle must have: one of the
	// ResidentIDPattern* constants.
	ResidentIDPattern string `json:"resident_id_pattern,omitempty"`
}

// Voter-key schemes of ResidentPolicy.VoterKeys.
const (
	VoterKeysV1 = "v1"
	VoterKeysV2 = "v2"
)

// Resident-ID patterns of ResidentPolicy.ResidentIDPattern.
const (
	// ResidentIDKazakhIIN is Kazakhstan's individual identification number: 12 digits, the last a check digit
	// computed with the two-pass weighted sum modulo 11.
	ResidentIDKazakhIIN = "kz-iin"
)

// Purposes a voter key is derived for. Under VoterKeysV2 each gives a different key for the same resident.
const (
	PurposeBallot = "ballot"
	PurposeAuthor = "author"
	PurposePledge = "pledge"
)

// Validate checks the policy of a cycle with the given number of districts.
func (p ResidentPolicy) Validate(districts int) error {
	switch p.VoterKeys {
	case "", VoterKeysV1, VoterKeysV2:
	default:
		return invalidf("voter_keys %q must be %q or %q", p.VoterKeys, VoterKeysV1, VoterKeysV2)
	}
	if p.DistrictsPerVoter < 0 || p.DistrictsPerVoter > districts {
		return invalidf("districts_per_voter %d must be from 1 to the number of districts (%d), or 0 for any number", p.DistrictsPerVoter, districts)
	}
	switch p.ResidentIDPattern {
	case "", ResidentIDKazakhIIN:
	default:
		return invalidf("resident_id_pattern %q is unknown; the known one is %q", p.ResidentIDPattern, ResidentIDKazakhIIN)
	}
	return nil
}

// LimitsDistricts reports whether the store must count the districts each voter votes in.
func (p ResidentPolicy) LimitsDistricts(districts int) bool {
	return p.DistrictsPerVoter > 0 && p.DistrictsPerVoter < districts
}

// MaxResidentIDLen is the longest resident ID, in bytes.
const MaxResidentIDLen = 256

// CheckResidentID reports whether id is a resident ID in canonical form and, if pattern is set, of that
// pattern. Canonical means: valid UTF-8 without U+FFFD, no control, format (zero-width, bidi) or other
// invisible characters, no white space at either end, at most MaxResidentIDLen bytes. It does not normalise:
// the caller applies Unicode NFC first (the domain has no Unicode tables beyond the standard library's), so
// two spellings of one ID are one voter while two different IDs can never become one.
func CheckResidentID(id, pattern string) error {
	if id == "" {
		return invalidf("resident_id is required")
	}
	if len(id) > MaxResidentIDLen {
		return invalidf("resident_id is longer than %d bytes", MaxResidentIDLen)
	}
	if !utf8.ValidString(id) {
		return invalidf("resident_id is not valid UTF-8")
	}
	if strings.TrimFunc(id, unicode.IsSpace) != id {
		return invalidf("resident_id has white space at its start or end")
	}
	for _, r := range id {
		switch {
		case r == utf8.RuneError:
			return invalidf("resident_id contains U+FFFD, the replacement character")
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r),
			!unicode.IsPrint(r) && r != ' ':
			return invalidf("resident_id contains the invisible or control character %U", r)
		}
	}
	switch pattern {
	case "":
		return nil
	case ResidentIDKazakhIIN:
		if !ValidIIN(id) {
			return invalidf("resident_id is not a valid IIN: 12 digits whose last is the check digit")
		}
		return nil
	}
	return invalidf("resident_id_pattern %q is unknown", pattern)
}

// ValidIIN reports whether s is a Kazakh IIN: 12 ASCII digits whose 12th is the check digit. The check digit
// is the sum of the first 11 digits weighted 1..11, modulo 11; if that is 10, the weights 3..11,1,2 are used;
// if it is 10 again, no IIN has those first 11 digits.
func ValidIIN(s string) bool {
	if len(s) != 12 {
		return false
	}
	var d [12]int
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		d[i] = int(s[i] - '0')
	}
	sum := 0
	for i := 0; i < 11; i++ {
		sum += d[i] * (i + 1)
	}
	check := sum % 11
	if check == 10 {
		sum = 0
		for i := 0; i < 11; i++ {
			sum += d[i] * ((i+2)%11 + 1)
		}
		check = sum % 11
		if check == 10 {
			return false
		}
	}
	return check == d[11]
}
