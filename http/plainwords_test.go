package http_test

import (
	"strings"
	"testing"
)

// Errors name the field and say what is allowed in plain words, never Go's type names or repeated roles.
func TestErrorsInPlainWords(t *testing.T) {
	e := newEnv(t)
	e.must(t, 201, "POST", "/v1/cycles", "admin", openCycle)
	for _, tc := range []struct {
		name, method, path, who, body string
		want                          []string
		never                         []string
	}{
		{"money as a string", "POST", "/v1/cycles", "admin",
			`{"cycle_id":"x","name":"X","currency":"KZT","districts":[{"id":"d","name":"D","budget":"500"}]}`,
			[]string{`"districts.budget"`, "whole number of minor currency units", "not a string"}, []string{"domain.Money"}},
		{"plan missing phases", "POST", "/v1/cycles", "admin",
			`{"cycle_id":"x","name":"X","currency":"KZT","districts":[{"id":"d","name":"D","budget":500}],"plan":["submission","voting"],"ballot_rule":{"type":"approval"},"outcome_rule":{"name":"greedy"}}`,
			[]string{`"allocation", "implementation" and "closed" are missing`}, nil},
		{"date not RFC 3339", "POST", "/v1/cycles", "admin",
			`{"cycle_id":"x","name":"X","currency":"KZT","districts":[{"id":"d","name":"D","budget":500}],"time_zone":"Asia/Almaty","schedule":[{"phase":"voting","starts":"2026-05-01"}]}`,
			[]string{`"2026-05-01" is not a date and time in RFC 3339 form`}, nil},
		{"admin-only route", "POST", "/v1/cycles/c1/phase", "portal", `{"to":"review"}`,
			[]string{"it takes an admin token"}, []string{"admin or admin"}},
		{"empty ballot", "POST", "/v1/cycles/c1/ballots", "portal", `{"district_id":"north","resident_id":"r-1","choices":[]}`,
			[]string{"an approval ballot needs at least 1 choice, not 0"}, []string{"choice(s)", "a approval"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "empty ballot" {
				for _, p := range []string{"review", "voting"} {
					e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"`+p+`"}`)
				}
			}
			res := e.do(t, tc.method, tc.path, e.tokens[tc.who], tc.body)
			body, _ := res.json(t)["detail"].(string)
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer %d %s lacks %q", res.status, res.body, w)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(body, n) {
					t.Errorf("answer %s contains %q", body, n)
				}
			}
		})
	}
}
