// Package personal keeps residents' personal data erasable: the data (a proposal author's name, contact
// details, notes) goes into the log sealed with AES-256-GCM under a key that belongs to one person and lives
// outside the log, in the vault's directory. Erasing destroys the key, which makes every copy of the data —
// in the log, in backups, in mirrors — unreadable at once, without rewriting the log (crypto-shredding).
//
// The vault is an adapter: the domain only carries domain.Sealed envelopes.
package personal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pbledger/pbledger/domain"
)

// Algorithm is the cipher named in the envelopes this vault seals.
const Algorithm = "AES-256-GCM"

// Errors of the vault. Check them with errors.Is.
var (
	// ErrErased: the key was destroyed; the data sealed under it can no longer be read.
	ErrErased = errors.New("personal data erased")
	// ErrNoKey: the vault has no key of that ID, and never erased one (another vault, or a lost directory).
	ErrNoKey = errors.New("no such personal-data key")
)

// Data is what is sealed: the personal data of a proposal's author.
type Data struct {
	Name    string `json:"name,omitempty"`
	Contact string `json:"contact,omitempty"`
	Note    string `json:"note,omitempty"`
}

// IsZero reports whether d holds nothing.
func (d Data) IsZero() bool { return d == Data{} }

// Vault stores one 256-bit key per person in a directory, one file each (mode 0600). An erased key leaves
// an empty tombstone file, so that reading its data says "erased" rather than "unknown". Safe for concurrent
// use; one process per directory (the data directory's lock covers it).
type Vault struct {
	dir string
	mu  sync.Mutex
}

// Open returns the vault in dir, creating the directory (mode 0700) if needed.
func Open(dir string) (*Vault, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("personal: %w", err)
	}
	return &Vault{dir: dir}, nil
}

const (
	keySuffix       = ".key"
	tombstoneSuffix = ".erased"
)

// checkKeyID keeps key IDs usable as file names: they are voter keys or similar IDs.
func checkKeyID(id string) error {
	if id == "" || len(id) > 200 || strings.ContainsAny(id, `/\`) || id[0] == '.' {
		return fmt.Errorf("personal: key ID %q is not valid", id)
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("personal: key ID %q is not valid", id)
		}
	}
	return nil
}

func (v *Vault) path(id, suffix string) string { return filepath.Join(v.dir, id+suffix) }

// key returns the key of id, making it if create is set and there is none.
//
// Errors: ErrErased if it was erased; ErrNoKey if there is none and create is false.
func (v *Vault) key(id string, create bool) ([]byte, error) {
	if err := checkKeyID(id); err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	k, err := os.ReadFile(v.path(id, keySuffix))
	if err == nil {
		if len(k) != 32 {
			return nil, fmt.Errorf("personal: key %s is damaged", id)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("personal: %w", err)
	}
	if _, err := os.Stat(v.path(id, tombstoneSuffix)); err == nil {
		return nil, fmt.Errorf("personal: key %s: %w", id, ErrErased)
	}
	if !create {
		return nil, fmt.Errorf("personal: key %s: %w", id, ErrNoKey)
	}
	k = make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("personal: %w", err)
	}
	if err := writeDurably(v.dir, v.path(id, keySuffix), k); err != nil {
		return nil, err
	}
	return k, nil
}

// writeDurably writes a new file and syncs it and its directory, so that data sealed under the key is never
// in the log while the key could still be lost in a crash.
func writeDurably(dir, path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("personal: %w", err)
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("personal: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("personal: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("personal: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("personal: %w", err)
	}
	return nil
}

// Seal encrypts d under the key of id (made on first use). The key ID is bound to the ciphertext as
// associated data, so an envelope cannot be moved under another person's key.
//
// Errors: ErrErased if the person's key was erased (their data may not be stored again under it).
func (v *Vault) Seal(id string, d Data) (*domain.Sealed, error) {
	k, err := v.key(id, true)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("personal: %w", err)
	}
	aead, err := newAEAD(k)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("personal: %w", err)
	}
	sealed := aead.Seal(nonce, nonce, plain, []byte(id))
	return &domain.Sealed{KeyID: id, Algorithm: Algorithm, Ciphertext: base64.StdEncoding.EncodeToString(sealed)}, nil
}

// Open decrypts an envelope.
//
// Errors: ErrErased when the key was erased; ErrNoKey when this vault never had it; another error when the
// envelope is damaged or not this vault's.
func (v *Vault) Open(s *domain.Sealed) (Data, error) {
	if s == nil {
		return Data{}, nil
	}
	if s.Algorithm != Algorithm {
		return Data{}, fmt.Errorf("personal: unknown algorithm %q", s.Algorithm)
	}
	k, err := v.key(s.KeyID, false)
	if err != nil {
		return Data{}, err
	}
	raw, err := base64.StdEncoding.DecodeString(s.Ciphertext)
	if err != nil {
		return Data{}, fmt.Errorf("personal: %w", err)
	}
	aead, err := newAEAD(k)
	if err != nil {
		return Data{}, err
	}
	if len(raw) < aead.NonceSize() {
		return Data{}, errors.New("personal: envelope too short")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(s.KeyID))
	if err != nil {
		return Data{}, fmt.Errorf("personal: %w", err)
	}
	var d Data
	if err := json.Unmarshal(plain, &d); err != nil {
		return Data{}, fmt.Errorf("personal: %w", err)
	}
	return d, nil
}

// Erase destroys the key of id: it overwrites the key file with zeros, syncs it, leaves a tombstone and
// removes the key file. What was sealed under it is unreadable from then on, wherever it is copied.
//
// Errors: ErrErased if it was already erased; ErrNoKey if the vault never had it.
func (v *Vault) Erase(id string) error {
	if _, err := v.key(id, false); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	p := v.path(id, keySuffix)
	if f, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
		f.Write(make([]byte, 32))
		f.Sync()
		f.Close()
	}
	if err := writeDurably(v.dir, v.path(id, tombstoneSuffix), nil); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("personal: erase %s: %w", id, err)
	}
	return syncDir(v.dir)
}

func newAEAD(k []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("personal: %w", err)
	}
	return cipher.NewGCM(b)
}
