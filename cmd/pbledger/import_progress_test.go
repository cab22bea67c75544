package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The import's progress line, as a terminal shows it: files done of all, ballots, ballots per second, and
// the time left from the bytes still to read; off (nothing written) when stderr is not a terminal.
func TestImportProgressLine(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"a.pb", "b.pb"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte("x"), 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var off bytes.Buffer
	p := newProgress(&off, paths)
	p.file(paths[0], 500)
	p.done()
	if off.Len() != 0 {
		t.Errorf("not a terminal: wrote %q, want nothing", off.String())
	}

	var on bytes.Buffer
	p = newProgress(&on, paths)
	p.on, p.totalBytes = true, 2000 // as on a terminal
	p.file(paths[0], 500)
	line := on.String()
	for _, want := range []string{"1/2 files", "500 ballots", "ballots/s", "ETA "} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	p.done()
	if !strings.HasSuffix(on.String(), "\r\033[K") {
		t.Errorf("done did not clear the line: %q", on.String())
	}
}
