package ledger_test

import (
	"encoding/json"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/ledger"
)

// The fast reader of single-voter index events agrees with encoding/json wherever it answers, and leaves
// everything else to it.
func TestOneVoterAgreesWithJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		fast bool
	}{
		{"one voter", `{"voters":["v_1.a:b-c"]}`, true},
		{"as CastBallot writes it", mustJSON(t, ledger.VotersIndexed{Voters: []domain.VoterKey{"0f3a9c"}}), true},
		{"two voters", `{"voters":["a","b"]}`, false},
		{"an escape", `{"voters":["a\"b"]}`, false},
		{"a unicode escape", `{"voters":["\u0061"]}`, false},
		{"spaces", `{ "voters": ["a"] }`, false},
		{"empty key", `{"voters":[""]}`, false},
		{"another field", `{"proposals":["a"]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ledger.OneVoter([]byte(tc.data))
			if ok != tc.fast {
				t.Fatalf("fast path taken = %v, want %v", ok, tc.fast)
			}
			if !ok {
				return
			}
			var want ledger.VotersIndexed
			if err := json.Unmarshal([]byte(tc.data), &want); err != nil {
				t.Fatal(err)
			}
			if len(want.Voters) != 1 || want.Voters[0] != got {
				t.Errorf("got %q, want %q", got, want.Voters)
			}
		})
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// The fast encoder of single-voter index events writes exactly what encoding/json writes.
func TestOneVoterIndexedEncodesAsJSON(t *testing.T) {
	for _, key := range []domain.VoterKey{"v1", "0f3a9c_x.y:z-w", `a"b`, `a\b`, "a<b>&c", "zürich", "tab\there", "a\u2028b"} {
		t.Run(string(key), func(t *testing.T) {
			body := ledger.OneVoterIndexed(key)
			got, ok := body.(json.RawMessage) // written to the log as it is
			if !ok {
				var err error
				if got, err = json.Marshal(body); err != nil {
					t.Fatal(err)
				}
			}
			want := mustJSON(t, ledger.VotersIndexed{Voters: []domain.VoterKey{key}})
			if string(got) != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}
