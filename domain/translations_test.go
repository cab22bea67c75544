package domain_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain"
)

func TestTranslationsAndPortal(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*domain.OpenCycle)
		ok   bool
	}{
		{"valid/no translations, no portal", func(*domain.OpenCycle) {}, true},
		{"valid/cycle and district names", func(c *domain.OpenCycle) {
			c.Names = domain.Translations{"kk": "Алматы 2026", "ru": "Алматы 2026", "kk-Latn": "Almaty 2026"}
			c.Districts[0].Names = domain.Translations{"ru": "Алмалинский район"}
		}, true},
		{"valid/https portal", func(c *domain.OpenCycle) { c.PortalURL = "https://budget.almaty.kz/vote?x=1" }, true},
		{"valid/http portal", func(c *domain.OpenCycle) { c.PortalURL = "http://localhost:8080" }, true},
		{"invalid/tag not a language", func(c *domain.OpenCycle) { c.Names = domain.Translations{"Russian": "x"} }, false},
		{"invalid/empty tag", func(c *domain.OpenCycle) { c.Names = domain.Translations{"": "x"} }, false},
		{"invalid/tag with a space", func(c *domain.OpenCycle) { c.Names = domain.Translations{"ru RU": "x"} }, false},
		{"invalid/blank text", func(c *domain.OpenCycle) { c.Names = domain.Translations{"ru": "  "} }, false},
		{"invalid/district text too long", func(c *domain.OpenCycle) {
			c.Districts[0].Names = domain.Translations{"kk": strings.Repeat("ә", domain.MaxNameLen+1)}
		}, false},
		{"invalid/too many languages", func(c *domain.OpenCycle) {
			c.Names = domain.Translations{}
			for i := range domain.MaxTranslations + 1 {
				c.Names["x"+string(rune('a'+i%26))+string(rune('a'+i/26))] = "x"
			}
		}, false},
		{"invalid/portal not http", func(c *domain.OpenCycle) { c.PortalURL = "javascript:alert(1)" }, false},
		{"invalid/portal without host", func(c *domain.OpenCycle) { c.PortalURL = "https:///vote" }, false},
		{"invalid/portal with a space", func(c *domain.OpenCycle) { c.PortalURL = "https://budget.almaty.kz/a b" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := testOpenCycle()
			tt.mod(&cmd)
			err := cmd.Validate()
			if tt.ok {
				mustOK(t, err)
				return
			}
			wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
		})
	}

	t.Run("a proposal title in several languages", func(t *testing.T) {
		pc := content("Park", 10)
		pc.Titles = domain.Translations{"ru": "Парк", "kk": "Саябақ"}
		mustOK(t, pc.Validate())
		pc.Titles = domain.Translations{"ru": ""}
		wantError(t, pc.Validate(), domain.ErrInvalid, domain.CodeInvalid)
	})

	t.Run("snapshots share no memory with the cycle", func(t *testing.T) {
		c := mustCycle(t, func(c *domain.OpenCycle) {
			c.Names = domain.Translations{"ru": "Город"}
			c.Districts[0].Names = domain.Translations{"ru": "Район"}
			c.PortalURL = "https://budget.example"
		})
		s := c.State()
		s.Names["ru"], s.Districts[0].Names["ru"] = "changed", "changed"
		again := c.State()
		if again.Names["ru"] != "Город" || again.Districts[0].Names["ru"] != "Район" || again.PortalURL != "https://budget.example" {
			t.Errorf("state after changing a snapshot: names %v, district names %v, portal %q", again.Names, again.Districts[0].Names, again.PortalURL)
		}
	})

	t.Run("a restored cycle and proposal keep their translations and portal", func(t *testing.T) {
		c := mustCycle(t, func(c *domain.OpenCycle) {
			c.Names = domain.Translations{"kk": "Қала"}
			c.Districts[0].Names = domain.Translations{"kk": "Аудан"}
			c.PortalURL = "https://budget.example"
		})
		rc, err := domain.RestoreCycle(c.State(), c.Version())
		mustOK(t, err)
		if !reflect.DeepEqual(rc.State(), c.State()) {
			t.Errorf("restored cycle\n%+v\nwant\n%+v", rc.State(), c.State())
		}
		var p domain.Proposal
		pc := content("Park", 10)
		pc.Titles = domain.Translations{"kk": "Саябақ"}
		mustOK(t, p.Submit(c, domain.SubmitProposal{ProposalID: "p1", CycleID: c.ID(), DistrictID: "north", Author: "alice", ProposalContent: pc}))
		rp, err := domain.RestoreProposal(p.State(), p.Version())
		mustOK(t, err)
		if got := rp.State().Titles["kk"]; got != "Саябақ" {
			t.Errorf("restored proposal title in kk: %q", got)
		}
	})
}
