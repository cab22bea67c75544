package personal_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/personal"
)

func mustVault(tb testing.TB) (*personal.Vault, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "personal-keys")
	v, err := personal.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return v, dir
}

func TestSealOpenErase(t *testing.T) {
	v, dir := mustVault(t)
	d := personal.Data{Name: "Aigerim Nurlanovna", Contact: "+7 701 000 0000", Note: "I live next to the park"}
	s, err := v.Seal("vabc", d)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(s.Ciphertext)
	if strings.Contains(string(raw), "Aigerim") || strings.Contains(s.Ciphertext, "Aigerim") || s.KeyID != "vabc" || s.Algorithm != personal.Algorithm {
		t.Fatalf("envelope %+v is not sealed", s)
	}
	got, err := v.Open(s)
	if err != nil || got != d {
		t.Fatalf("Open: got %+v, %v; want %+v", got, err, d)
	}
	if info, err := os.Stat(filepath.Join(dir, "vabc.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	// An envelope moved under another person's key does not open.
	other, err := v.Seal("vother", personal.Data{Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	moved := *s
	moved.KeyID = other.KeyID
	if _, err := v.Open(&moved); err == nil {
		t.Fatal("an envelope opened under another key")
	}

	if err := v.Erase("vabc"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open(s); !errors.Is(err, personal.ErrErased) {
		t.Fatalf("Open after erase: got %v, want ErrErased", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "vabc.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the key file is still there: %v", err)
	}
	if err := v.Erase("vabc"); !errors.Is(err, personal.ErrErased) {
		t.Fatalf("second Erase: got %v, want ErrErased", err)
	}
	if _, err := v.Seal("vabc", d); !errors.Is(err, personal.ErrErased) {
		t.Fatalf("Seal after erase: got %v, want ErrErased", err)
	}
	if err := v.Erase("vnever"); !errors.Is(err, personal.ErrNoKey) {
		t.Fatalf("Erase of an unknown key: got %v, want ErrNoKey", err)
	}
	// A reopened vault still knows both keys' states.
	v2, err := personal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Open(s); !errors.Is(err, personal.ErrErased) {
		t.Fatalf("reopened: got %v, want ErrErased", err)
	}
	if got, err := v2.Open(other); err != nil || got.Name != "B" {
		t.Fatalf("reopened: got %+v %v", got, err)
	}
}

func TestKeyIDsCannotEscapeTheDirectory(t *testing.T) {
	v, _ := mustVault(t)
	for _, id := range []string{"", "../x", "a/b", ".hidden", "a b", "é"} {
		if _, err := v.Seal(id, personal.Data{Name: "x"}); err == nil {
			t.Errorf("Seal(%q) was accepted", id)
		}
	}
}
