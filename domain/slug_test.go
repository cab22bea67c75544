package domain_test

import (
	"testing"

	"github.com/pbledger/pbledger/domain"
)

func TestSlugTransliterates(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Kraków 2018", "krakow-2018"},
		{"Włochy", "wlochy"},
		{"BIEŃCZYCE", "bienczyce"},
		{"poland_warszawa_2023_wlochy", "poland-warszawa-2023-wlochy"},
		{"Алматы", "almaty"},
		{"Қонаев", "qonaev"},
		{"Żółć   gęślą!", "zolc-gesla"},
		{"Straße", "strasse"},
		{"  --  ", ""},
		{"Объём", "obem"},
	} {
		if got := domain.Slug(tc.in, '-', 64); got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := domain.Slug("abc def ghi", '-', 7); got != "abc-def" {
		t.Errorf("cut to 7: got %q", got)
	}
}
