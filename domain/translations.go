package domain

import (
	"maps"
	"slices"
	"strings"
)

// Translations gives a name or title in other languages: a map from a language tag ("kk", "ru", "en",
// "kk-Latn") to the text in that language. It sits beside the plain text (District.Name, OpenCycle.Name,
// ProposalContent.Title), which stays required and is what a reader whose language is missing sees; so a
// command or event with only the plain string means what it always meant.
type Translations map[string]string

// MaxTranslations caps the languages of one text.
const MaxTranslations = 16

// validate checks the tags and each text as checkText does for the plain text.
func (t Translations) validate(what string, max int) error {
	if len(t) > MaxTranslations {
		return invalidf("%s has %d translations; at most %d are allowed", what, len(t), MaxTranslations)
	}
	for _, tag := range slices.Sorted(maps.Keys(t)) {
		if !isLanguageTag(tag) {
			return invalidf("%s: %q is not a language tag like \"kk\", \"ru\" or \"en\"", what, tag)
		}
		if err := checkText(what+" in "+tag, t[tag], true, false, max); err != nil {
			return err
		}
	}
	return nil
}

// isLanguageTag accepts the simple BCP 47 tags a city uses: a 2–3 letter lower-case language, then
// optional subtags of 2–8 letters or digits ("kk", "kk-Cyrl", "en-GB").
func isLanguageTag(s string) bool {
	for i, part := range splitDash(s) {
		if i == 0 && (len(part) < 2 || len(part) > 3) || len(part) < 2 || len(part) > 8 {
			return false
		}
		for j := 0; j < len(part); j++ {
			c := part[j]
			lower := c >= 'a' && c <= 'z'
			if i == 0 && !lower || !lower && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return s != ""
}

func splitDash(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '-' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// MaxPortalURLLen caps a cycle's portal URL.
const MaxPortalURLLen = 500

// validatePortalURL accepts an empty URL or an absolute http(s) URL: the page links to it as "where to vote".
func validatePortalURL(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxPortalURLLen {
		return invalidf("portal_url is %d characters long; at most %d are allowed", len(s), MaxPortalURLLen)
	}
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	host, _, _ := strings.Cut(rest, "/")
	if !ok || host == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '"' || r == '<' || r == '>' }) {
		return invalidf("portal_url %q must be an absolute http:// or https:// address, like https://budget.almaty.kz", s)
	}
	return nil
}

// cloneDistricts copies districts with their translations, so a snapshot shares no memory with the cycle.
func cloneDistricts(ds []District) []District {
	out := slices.Clone(ds)
	for i := range out {
		out[i].Names = maps.Clone(out[i].Names)
	}
	return out
}
