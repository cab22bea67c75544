package domain_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDomainIsPure keeps the domain free of adapters and of I/O, clocks and randomness: it may import only the
// standard library's pure packages, google/uuid and its own outcome package, and never call time.Now.
func TestDomainIsPure(t *testing.T) {
	allowed := map[string]bool{
		"github.com/google/uuid":                      true,
		"github.com/pbledger/pbledger/domain/outcome": true,
	}
	forbidden := []string{"os", "io/fs", "net", "log", "math/rand", "crypto/rand", "syscall", "database", "unsafe",
		"runtime", "plugin", "os/exec"}
	files, err := filepath.Glob("*.go")
	mustOK(t, err)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		mustOK(t, err)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(strings.Split(path, "/")[0], ".") && !allowed[path] {
				t.Errorf("%s imports %q; domain may import only the standard library, uuid and domain/outcome", name, path)
			}
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %q, which does I/O or is not deterministic", name, path)
				}
			}
		}
		src, err := os.ReadFile(name)
		mustOK(t, err)
		for _, call := range []string{"time.Now", "time.Since", "time.Until", "time.Sleep"} {
			if strings.Contains(string(src), call) {
				t.Errorf("%s calls %s; the domain reads no clock", name, call)
			}
		}
	}
}

// TestDomainSubpackagesImportNoAdapter keeps domain/outcome and domain/pabulib on the inside of the
// architecture too: they may import the domain and the standard library, never the store, the ledger, the
// projections, HTTP or metrics (dependencies point inward: cmd → http → projections → ledger → domain).
func TestDomainSubpackagesImportNoAdapter(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("*", "*.go"))
	mustOK(t, err)
	if len(files) == 0 {
		t.Fatal("found no subpackage files")
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		mustOK(t, err)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			inProject := strings.HasPrefix(path, "github.com/pbledger/pbledger/")
			if inProject && !strings.HasPrefix(path, "github.com/pbledger/pbledger/domain") {
				t.Errorf("%s imports the adapter %q", name, path)
			}
			if !inProject && strings.Contains(strings.Split(path, "/")[0], ".") {
				t.Errorf("%s imports %q; the domain's packages use only the standard library", name, path)
			}
			for _, bad := range []string{"os", "net", "syscall", "database", "os/exec", "math/rand", "crypto/rand"} {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %q, which does I/O or is not deterministic", name, path)
				}
			}
		}
	}
}
