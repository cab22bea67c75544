package verify_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestVerifierImportsNothingOfTheServer keeps the auditor's verifier independent of what it checks: it may use
// the store interface, the transparency log, the domain and the ledger's read of a district's input, never
// the HTTP server, the projections, a store backend or metrics.
func TestVerifierImportsNothingOfTheServer(t *testing.T) {
	for _, dir := range []string{".", "../eventstore/translog"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range []string{"github.com/pbledger/pbledger/http", "github.com/pbledger/pbledger/projections",
					"github.com/pbledger/pbledger/eventstore/filestore", "github.com/pbledger/pbledger/cmd", "github.com/prometheus", "github.com/go-chi"} {
					if path == bad || strings.HasPrefix(path, bad+"/") {
						t.Errorf("%s imports %q: the verifier must not depend on the server it checks", name, path)
					}
				}
			}
		}
	}
}
