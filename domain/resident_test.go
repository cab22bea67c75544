package domain_test

import (
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain"
)

func TestValidIIN(t *testing.T) {
	tests := []struct {
		iin  string
		want bool
	}{
		{"900101300126", true},  // first pass gives 6
		{"950712401230", true},  // first pass gives 10, second gives 0
		{"900101300123", false}, // wrong check digit
		{"90010130012", false},  // 11 digits
		{"9001013001266", false},
		{"90010130012a", false},
		{"９００１０１３００１２６", false}, // fullwidth digits are not ASCII digits
	}
	for _, tt := range tests {
		if got := domain.ValidIIN(tt.iin); got != tt.want {
			t.Errorf("ValidIIN(%q) = %v, want %v", tt.iin, got, tt.want)
		}
	}
}

func TestCheckResidentID(t *testing.T) {
	tests := []struct {
		name, id, pattern string
		ok                bool
	}{
		{"plain", "IIN-900101300999", "", true},
		{"inner space", "Jane Doe 1", "", true},
		{"leading space", " IIN-900101300999", "", false},
		{"trailing space", "IIN-900101300999 ", "", false},
		{"trailing newline", "IIN-900101300999\n", "", false},
		{"no-break space at end", "IIN-900101300999\u00a0", "", false},
		{"control", "IIN-9001\x0013", "", false},
		{"zero-width space", "IIN-9001\u200b01300999", "", false},
		{"bidi override", "IIN-\u202e900101300999", "", false},
		{"BOM", "\ufeffIIN-900101300999", "", false},
		{"invalid UTF-8", "IIN-\xff900101300999", "", false},
		{"replacement character", "IIN-\ufffd", "", false},
		{"empty", "", "", false},
		{"IIN ok", "900101300126", domain.ResidentIDKazakhIIN, true},
		{"IIN typo", "900101300127", domain.ResidentIDKazakhIIN, false},
		{"IIN with prefix", "IIN-900101300126", domain.ResidentIDKazakhIIN, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.CheckResidentID(tt.id, tt.pattern)
			if tt.ok {
				mustOK(t, err)
				return
			}
			wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
		})
	}
}

func TestResidentPolicyValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    domain.ResidentPolicy
		ok   bool
	}{
		{"zero", domain.ResidentPolicy{}, true},
		{"all set", domain.ResidentPolicy{VoterKeys: "v2", DistrictsPerVoter: 1, HideResultsDuringVoting: true, ResidentIDPattern: "kz-iin"}, true},
		{"unknown voter keys", domain.ResidentPolicy{VoterKeys: "v3"}, false},
		{"negative districts", domain.ResidentPolicy{DistrictsPerVoter: -1}, false},
		{"more districts than the cycle", domain.ResidentPolicy{DistrictsPerVoter: 3}, false},
		{"unknown pattern", domain.ResidentPolicy{ResidentIDPattern: "us-ssn"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &domain.Cycle{}
			cmd := testOpenCycle()
			cmd.ResidentPolicy = tt.p
			err := c.Open(cmd)
			if tt.ok {
				mustOK(t, err)
				if got := c.ResidentPolicy(); got != tt.p {
					t.Errorf("got policy %+v, want %+v", got, tt.p)
				}
				return
			}
			wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
		})
	}
}

func TestVoterClaimsLimit(t *testing.T) {
	c := mustCycle(t, func(o *domain.OpenCycle) { o.DistrictsPerVoter = 1 })
	var v domain.VoterClaims
	mustOK(t, v.Claim(c, "v1", "north"))
	if got := len(v.Changes()); got != 1 {
		t.Fatalf("got %d changes, want 1", got)
	}
	mustOK(t, v.Claim(c, "v1", "north")) // the same district again: nothing new
	if got := len(v.Changes()); got != 1 {
		t.Fatalf("got %d changes after claiming the same district, want 1", got)
	}
	wantError(t, v.Claim(c, "v1", "south"), domain.ErrDistrictLimit, domain.CodeConflict)

	var replayed domain.VoterClaims
	mustOK(t, replayed.Load(v.Changes()...))
	wantError(t, replayed.Claim(c, "v1", "south"), domain.ErrDistrictLimit, domain.CodeConflict)

	unlimited := mustCycle(t)
	var u domain.VoterClaims
	mustOK(t, u.Claim(unlimited, "v1", "north"))
	mustOK(t, u.Claim(unlimited, "v1", "south"))
}

// A checkpoint keeps the resident policy and sealed personal data: a restarted server withholds results
// and shows authors as before.
func TestRestoreKeepsResidentPolicyAndPersonalData(t *testing.T) {
	policy := domain.ResidentPolicy{VoterKeys: "v2", DistrictsPerVoter: 1, HideResultsDuringVoting: true, ResidentIDPattern: "kz-iin"}
	c := mustCycle(t, func(o *domain.OpenCycle) { o.ResidentPolicy = policy })
	c.ClearChanges()
	rc, err := domain.RestoreCycle(c.State(), c.Version())
	mustOK(t, err)
	if rc.ResidentPolicy() != policy || !rc.ResultsWithheld() {
		t.Fatalf("restored policy %+v (withheld %v), want %+v", rc.ResidentPolicy(), rc.ResultsWithheld(), policy)
	}
	var p domain.Proposal
	sealed := &domain.Sealed{KeyID: "vkey", Algorithm: "AES-256-GCM", Ciphertext: "AAAA"}
	mustOK(t, p.Submit(rc, domain.SubmitProposal{ProposalID: "p1", CycleID: testCycle, DistrictID: "north", Author: "vkey",
		ProposalContent: content("Park", 100), Personal: sealed}))
	p.ClearChanges()
	rp, err := domain.RestoreProposal(p.State(), p.Version())
	mustOK(t, err)
	if got := rp.State().Personal; got == nil || *got != *sealed {
		t.Fatalf("restored personal data %+v, want %+v", got, sealed)
	}
}

// A CycleOpened written before the resident policy existed decodes to a v1 cycle with no limits and encodes
// back to the same bytes: old logs replay unchanged.
func TestOldCycleOpenedReencodesUnchanged(t *testing.T) {
	old := `{"cycle_id":"almaty-2020","name":"Almaty 2020","currency":"KZT","currency_exponent":2,` +
		`"districts":[{"id":"almaly","name":"Almaly","budget":100}],"plan":["submission","review","voting","allocation","implementation","closed"],` +
		`"ballot_rule":{"type":"approval"},"outcome_rule":{"name":"greedy"},"assessment":{"scale":{"min":0,"max":0}},"allow_ballot_replacement":false}`
	e, err := domain.Decode(domain.EventCycleOpened, []byte(old))
	mustOK(t, err)
	if p := e.(domain.CycleOpened).ResidentPolicy; p != (domain.ResidentPolicy{}) {
		t.Fatalf("old cycle decoded with policy %+v", p)
	}
	_, b, err := domain.Encode(e)
	mustOK(t, err)
	if string(b) != old {
		t.Fatalf("an old CycleOpened re-encodes differently:\n got %s\nwant %s", b, old)
	}
	for _, field := range []string{"voter_keys", "districts_per_voter", "hide_results_during_voting", "resident_id_pattern"} {
		if strings.Contains(string(b), field) {
			t.Errorf("an old cycle re-encodes with %q: %s", field, b)
		}
	}
}
