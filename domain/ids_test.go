package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain"
)

func TestIDValidation(t *testing.T) {
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"cycle with dash", domain.CycleID("almaty-2020").Validate(), true},
		{"proposal UUID", domain.ProposalID("0b7e7c2e-5c1f-4b8e-9d3a-1f2e3d4c5b6a").Validate(), true},
		{"district with dot and colon", domain.DistrictID("kz:almaty.almaly").Validate(), true},
		{"voter hex key", domain.VoterKey("9f86d081884c7d65").Validate(), true},
		{"max length", domain.CycleID(strings.Repeat("a", domain.MaxIDLen)).Validate(), true},
		{"empty", domain.CycleID("").Validate(), false},
		{"too long", domain.CycleID(strings.Repeat("a", domain.MaxIDLen+1)).Validate(), false},
		{"leading dash", domain.CycleID("-x").Validate(), false},
		{"leading dot", domain.ProposalID(".x").Validate(), false},
		{"dot dot", domain.ProposalID("..").Validate(), false},
		{"slash", domain.ProposalID("a/b").Validate(), false},
		{"space", domain.AssessorID("a b").Validate(), false},
		{"non-ASCII", domain.CycleID("алматы").Validate(), false},
		{"district with dash", domain.DistrictID("north-east").Validate(), false},
		{"voter with dash", domain.VoterKey("v-1").Validate(), false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.name, tt.ok), func(t *testing.T) {
			if tt.ok {
				mustOK(t, tt.err)
				return
			}
			wantError(t, tt.err, domain.ErrInvalid, domain.CodeInvalid)
		})
	}
}

func TestStreamNames(t *testing.T) {
	if got, want := domain.CycleStream("almaty-2020"), "cycle-almaty-2020"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := domain.ProposalStream("p-1"), "proposal-p-1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := domain.BallotStream("almaty-2020", "almaly", "v1"), "ballot-almaty-2020-almaly-v1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	t.Run("ballot streams split back unambiguously", func(t *testing.T) {
		triples := [][3]string{
			{"almaty-2020", "almaly", "v1"},
			{"almaty", "2020", "v1"},
			{"a-b-c", "d", "e"},
			{"a", "b", "c"},
			{"x.y:z", "d_1", "k:9"},
		}
		seen := map[string]bool{}
		for _, tr := range triples {
			name := domain.BallotStream(domain.CycleID(tr[0]), domain.DistrictID(tr[1]), domain.VoterKey(tr[2]))
			if seen[name] {
				t.Errorf("stream %q is shared", name)
			}
			seen[name] = true
			c, d, v, ok := domain.ParseBallotStream(name)
			if !ok || string(c) != tr[0] || string(d) != tr[1] || string(v) != tr[2] {
				t.Errorf("ParseBallotStream(%q) = %q %q %q %v, want %v", name, c, d, v, ok, tr)
			}
		}
	})
	t.Run("non-ballot streams do not parse", func(t *testing.T) {
		for _, name := range []string{"cycle-a-b-c", "ballot-a-b", "ballot--b-c", "ballot-a-b-"} {
			if _, _, _, ok := domain.ParseBallotStream(name); ok {
				t.Errorf("ParseBallotStream(%q) ok, want not", name)
			}
		}
	})
}

func TestErrorHelpers(t *testing.T) {
	c := &domain.Cycle{}
	err := c.AdvancePhase(domain.AdvancePhase{CycleID: "x", To: domain.PhaseReview})
	wrapped := fmt.Errorf("app: advance: %w", err)
	tests := []struct {
		name        string
		err         error
		code, msg   string
		matchesSent bool
	}{
		{"nil", nil, "", "", false},
		{"domain error", err, domain.CodeNotFound, `cycle "x" does not exist`, true},
		{"wrapped domain error", wrapped, domain.CodeNotFound, `cycle "x" does not exist`, true},
		{"foreign error", errors.New("disk full"), domain.CodeInternal, "internal error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.ErrorCode(tt.err); got != tt.code {
				t.Errorf("got code %q, want %q", got, tt.code)
			}
			if got := domain.ErrorMessage(tt.err); got != tt.msg {
				t.Errorf("got message %q, want %q", got, tt.msg)
			}
			if got := errors.Is(tt.err, domain.ErrUnknownCycle); got != tt.matchesSent {
				t.Errorf("got errors.Is %v, want %v", got, tt.matchesSent)
			}
		})
	}
}

func TestDegrees(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"43.238949", 43_238_949, true},
		{"-76.9", -76_900_000, true},
		{"+7", 7_000_000, true},
		{"0.000001", 1, true},
		{"180", 180_000_000, true},
		{"1.0000001", 0, false},
		{"1e3", 0, false},
		{"", 0, false},
		{".5", 0, false},
		{"5.", 0, false},
		{"1234", 0, false},
		{"4 3", 0, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%v", tt.in, tt.ok), func(t *testing.T) {
			got, err := domain.ParseDegrees(tt.in)
			if !tt.ok {
				wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
				return
			}
			mustOK(t, err)
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
			back, err := domain.ParseDegrees(domain.FormatDegrees(got))
			if err != nil || back != got {
				t.Errorf("FormatDegrees(%d) = %q does not parse back", got, domain.FormatDegrees(got))
			}
		})
	}
}
