package pabulib_test

import (
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain/pabulib"
)

// Real portals' exports hold characters the ledger refuses in titles (issue 8, item 7): a zero-width space
// before a name, emoji joined with U+200D, a right-to-left override. The import drops them, so real
// elections still import, and every command it makes passes the ledger's own validation.
func TestImportDropsInvisibleCharactersFromNames(t *testing.T) {
	t.Parallel()
	inst := mustParse(t, "META\nkey;value\ndescription;Tiny\u200b city\nbudget;100\nvote_type;approval\nrule;greedy\nPROJECTS\nproject_id;cost;name;category\n"+
		"1;60;\u200bWodny Plac Zabaw;sport\u200d\n2;50;\U0001F3C3\u200d\u2642\ufe0f Bieg \u202eoknam;\n3;40;\u200b\u200b;\nVOTES\nvoter_id;vote\na;1,2\nb;2\n")
	imp, err := pabulib.ToImport(inst, "tiny", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := imp.Cycle.Validate(); err != nil {
		t.Fatalf("the cycle: %v", err)
	}
	if imp.Cycle.Name != "Tiny city" {
		t.Errorf("cycle name %q, want %q", imp.Cycle.Name, "Tiny city")
	}
	want := []string{"Wodny Plac Zabaw", "\U0001F3C3\u2642\ufe0f Bieg oknam", "Project 3"}
	for i, p := range imp.Proposals {
		if err := p.Validate(); err != nil {
			t.Fatalf("proposal %d: %v", i+1, err)
		}
		if p.Title != want[i] {
			t.Errorf("proposal %d: title %q, want %q", i+1, p.Title, want[i])
		}
		if strings.ContainsRune(p.Category, '\u200d') {
			t.Errorf("proposal %d: category %q keeps a joiner", i+1, p.Category)
		}
	}
}
