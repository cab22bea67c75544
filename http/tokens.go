package http

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// TokenEntry is one entry of the tokens file.
type TokenEntry struct {
	Principal
	// SHA256 is the hex SHA-256 of the token. Tokens themselves are never stored.
	SHA256 string `json:"sha256"`
	// ExpiresAt, if set, is when the token stops being accepted.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// tokenFile is the tokens file: {"tokens":[{"name":…,"role":…,"assessor":…,"sha256":…,"expires_at":…},…]}.
type tokenFile struct {
	Tokens []TokenEntry `json:"tokens"`
}

// Tokens maps token hashes to principals. Its table can be replaced while requests use it (Replace), which
// is how the server picks up an edited tokens file without a restart.
type Tokens struct {
	table atomic.Pointer[tokenTable]
	// Now is the clock expiry is checked against; time.Now if nil.
	Now func() time.Time
}

type tokenTable struct {
	byHash  map[[32]byte]TokenEntry
	entries []TokenEntry
}

// LoadTokens reads a tokens file. Errors name the file and the entry.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	t, err := ParseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	return t, nil
}

// ParseTokens reads a tokens file's contents.
func ParseTokens(r io.Reader) (*Tokens, error) {
	var file tokenFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("not a tokens file: %w", err)
	}
	tab, err := newTokenTable(file.Tokens)
	if err != nil {
		return nil, err
	}
	t := &Tokens{}
	t.table.Store(tab)
	return t, nil
}

func newTokenTable(entries []TokenEntry) (*tokenTable, error) {
	t := &tokenTable{byHash: make(map[[32]byte]TokenEntry), entries: entries}
	names := map[string]bool{}
	for i, e := range entries {
		where := fmt.Sprintf("entry %d (%q)", i+1, e.Name)
		if e.Name == "" {
			return nil, fmt.Errorf("%s: name is required", where)
		}
		if names[e.Name] {
			return nil, fmt.Errorf("%s: name is used twice", where)
		}
		names[e.Name] = true
		switch e.Role {
		case RoleGateway, RoleModerator, RoleAdmin, RoleStore:
			if e.Assessor != "" {
				return nil, fmt.Errorf("%s: only assessor tokens name an assessor", where)
			}
		case RoleAssessor:
			if e.Assessor == "" {
				return nil, fmt.Errorf("%s: an assessor token must name its assessor", where)
			}
		default:
			return nil, fmt.Errorf("%s: unknown role %q (gateway, moderator, assessor, admin, store)", where, e.Role)
		}
		h, err := hex.DecodeString(e.SHA256)
		if err != nil || len(h) != 32 {
			return nil, fmt.Errorf("%s: sha256 must be 64 hex digits (pbledger token prints one)", where)
		}
		var key [32]byte
		copy(key[:], h)
		if _, dup := t.byHash[key]; dup {
			return nil, fmt.Errorf("%s: the same token is listed twice", where)
		}
		t.byHash[key] = e
	}
	return t, nil
}

// Replace makes t answer with other's entries from now on. Requests already authenticated are not affected.
func (t *Tokens) Replace(other *Tokens) {
	t.table.Store(other.table.Load())
}

// Entries returns the entries t holds, in the file's order.
func (t *Tokens) Entries() []TokenEntry {
	if t == nil || t.table.Load() == nil {
		return nil
	}
	return append([]TokenEntry(nil), t.table.Load().entries...)
}

// Lookup returns the principal whose token this is. Expired tokens are not found.
func (t *Tokens) Lookup(token string) (Principal, bool) {
	if t == nil || token == "" {
		return Principal{}, false
	}
	tab := t.table.Load()
	if tab == nil {
		return Principal{}, false
	}
	e, ok := tab.byHash[sha256.Sum256([]byte(token))]
	if !ok || e.Expired(t.now()) {
		return Principal{}, false
	}
	return e.Principal, true
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Expired reports whether the entry's token is no longer accepted at now.
func (e TokenEntry) Expired(now time.Time) bool {
	return e.ExpiresAt != nil && !now.Before(*e.ExpiresAt)
}

// NewToken returns a fresh random token and the tokens-file entry for it.
func NewToken(name string, role Role, assessor string) (token string, entry string, err error) {
	token, e, err := NewTokenEntry(name, role, assessor, nil)
	if err != nil {
		return "", "", err
	}
	b, err := json.Marshal(e)
	return token, string(b), err
}

// NewTokenEntry returns a fresh random token and its entry, expiring at expires if not nil.
func NewTokenEntry(name string, role Role, assessor string, expires *time.Time) (string, TokenEntry, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", TokenEntry{}, err
	}
	token := "pbl_" + hex.EncodeToString(b)
	sum := sha256.Sum256([]byte(token))
	e := TokenEntry{Principal: Principal{Name: name, Role: role, Assessor: assessor}, SHA256: hex.EncodeToString(sum[:]), ExpiresAt: expires}
	if _, err := newTokenTable([]TokenEntry{e}); err != nil {
		return "", TokenEntry{}, err
	}
	return token, e, nil
}

// WriteTokens replaces the tokens file at path with entries, atomically (a temporary file renamed over it,
// readable by its owner only), after checking them as the server will.
func WriteTokens(path string, entries []TokenEntry) error {
	if entries == nil {
		entries = []TokenEntry{}
	}
	if _, err := newTokenTable(entries); err != nil {
		return err
	}
	b, err := json.MarshalIndent(tokenFile{Tokens: entries}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tokens-*.tmp")
	if err != nil {
		return fmt.Errorf("tokens file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("tokens file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("tokens file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("tokens file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tokens file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("tokens file: %w", err)
	}
	return nil
}
