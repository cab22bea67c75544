package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
)

// logHead opens a data directory's log (no command may be running on it) and returns its head.
func logHead(tb testing.TB, data string) eventstore.Position {
	tb.Helper()
	s, err := filestore.Open(context.Background(), filepath.Join(data, logDir), filestore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	h, err := s.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func hasStream(tb testing.TB, data, stream string) bool {
	tb.Helper()
	s, err := filestore.Open(context.Background(), filepath.Join(data, logDir), filestore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	_, err = s.ReadStream(context.Background(), stream, eventstore.Forwards, 0, 1)
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		tb.Fatal(err)
	}
	return err == nil
}

func writeBadFile(tb testing.TB) string {
	tb.Helper()
	bad := filepath.Join(tb.TempDir(), "bad.pb")
	os.WriteFile(bad, []byte("META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;abc\nVOTES\nvoter_id;vote\n"), 0o644)
	return bad
}

// Files are imported one at a time: a file that is refused writes nothing, the ones before it stay, and
// without --keep-going the import stops there.
func TestImportRefusesBadFilesAndWritesNothing(t *testing.T) {
	data := t.TempDir()
	good := filepath.Join(pabulibDir(t), "poland_krakow_2018_bienczyce.pb")
	amsterdam := filepath.Join(pabulibDir(t), "Netherlands_Amsterdam_304.pb")
	out, err := runCmd(t, "import", "--data", data, good, writeBadFile(t), amsterdam)
	if err == nil || !strings.Contains(out, "bad.pb") || !strings.Contains(out, "line 7") {
		t.Fatalf("got %v: %s; want an error naming bad.pb and line 7", err, out)
	}
	if !hasStream(t, data, domain.CycleStream("poland_krakow_2018_bienczyce")) || hasStream(t, data, domain.CycleStream("Netherlands_Amsterdam_304")) {
		t.Fatal("want the file before the refused one imported and the one after it not")
	}
	// Importing the same file twice: the second is refused and writes nothing; the first stays.
	head := logHead(t, data)
	if out, err := runCmd(t, "import", "--data", data, good); err == nil || !strings.Contains(out, "already") {
		t.Fatalf("second import: %v %s; want a refusal saying the cycle exists", err, out)
	}
	if h := logHead(t, data); h != head {
		t.Fatalf("a refused import moved the head from %d to %d", head, h)
	}
}

// With --keep-going a refused file is reported and skipped, the others are imported, and the exit status
// says that some were refused.
func TestImportKeepGoing(t *testing.T) {
	data := t.TempDir()
	good := filepath.Join(pabulibDir(t), "poland_krakow_2018_bienczyce.pb")
	amsterdam := filepath.Join(pabulibDir(t), "Netherlands_Amsterdam_304.pb")
	out, err := runCmd(t, "import", "--keep-going", "--data", data, good, writeBadFile(t), amsterdam)
	if err == nil || !strings.Contains(out, "refused (nothing written)") || !strings.Contains(out, "1 of 3 files refused") {
		t.Fatalf("got %v: %s; want a refusal of bad.pb and a summary", err, out)
	}
	for _, c := range []domain.CycleID{"poland_krakow_2018_bienczyce", "Netherlands_Amsterdam_304"} {
		if !hasStream(t, data, domain.CycleStream(c)) {
			t.Fatalf("cycle %s was not imported", c)
		}
	}
}

// A file whose commands the domain refuses part-way (here its last ballot names a project the file does not
// have) writes nothing: the whole file runs through the ledger in memory first.
func TestImportRefusedByTheDomainWritesNothing(t *testing.T) {
	data := t.TempDir()
	amsterdam := filepath.Join(pabulibDir(t), "Netherlands_Amsterdam_304.pb")
	if out, err := runCmd(t, "import", "--data", data, amsterdam); err != nil {
		t.Fatalf("import: %v %s", err, out)
	}
	head := logHead(t, data)
	path := filepath.Join(pabulibDir(t), "poland_krakow_2018_bienczyce.pb")
	imp, err := parseForImport(path, "", "")
	if err != nil {
		t.Fatal(err)
	}
	last := &imp.Ballots[len(imp.Ballots)-1]
	last.Choices[0].ProposalID = "no-such-project"
	store, err := openStore(context.Background(), data, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f, err := prepareParsed(context.Background(), path, imp, true)
	if err == nil {
		_, err = f.write(context.Background(), store)
	}
	store.Close()
	if err == nil {
		t.Fatal("a ballot naming an unknown project was accepted")
	}
	if h := logHead(t, data); h != head {
		t.Fatalf("a refused file moved the head from %d to %d", head, h)
	}
	if hasStream(t, data, domain.CycleStream("poland_krakow_2018_bienczyce")) {
		t.Fatal("the refused file's cycle is in the log")
	}
}
