package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// listDir returns every path under dir, relative to it.
func listDir(tb testing.TB, dir string) []string {
	tb.Helper()
	var got []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, rel)
		}
		return nil
	})
	return got
}

// Issue 8, item 13: the tools that read a log refuse a directory without one, and create nothing in it.
func TestToolsRefuseADirectoryWithoutALog(t *testing.T) {
	for _, args := range [][]string{
		{"rebuild"},
		{"replay", "--until", "10"},
	} {
		t.Run(args[0], func(t *testing.T) {
			for _, tt := range []struct {
				name  string
				setup func(dir string)
			}{
				{"empty directory", func(string) {}},
				{"an empty log directory", func(dir string) { os.Mkdir(filepath.Join(dir, logDir), 0o755) }},
			} {
				t.Run(tt.name, func(t *testing.T) {
					dir := t.TempDir()
					tt.setup(dir)
					before := listDir(t, dir)
					out, err := runCmd(t, append(args, "--data", dir)...)
					if err == nil {
						t.Fatalf("got success, want a refusal:\n%s", out)
					}
					if !strings.Contains(err.Error(), "no event log") {
						t.Fatalf("got %q, want it to say there is no event log", err)
					}
					if after := listDir(t, dir); strings.Join(after, ",") != strings.Join(before, ",") {
						t.Fatalf("the directory changed from %v to %v", before, after)
					}
				})
			}
		})
	}
	t.Run("a directory that does not exist", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "typo")
		if _, err := runCmd(t, "rebuild", "--data", dir); err == nil {
			t.Fatal("got success")
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("rebuild created %s", dir)
		}
	})
}

// Issue 8, item 13: serve on a busy port fails before it creates anything in the data directory.
func TestServeOnABusyPortCreatesNothing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := filepath.Join(t.TempDir(), "data")
	m := &server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.ParseFlags([]string{"--data", dir, "--addr", l.Addr().String(), "--demo"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	err = m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("got %v, want a listen error", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serve created %s (%v): %v", dir, err, listDir(t, dir))
	}
}
