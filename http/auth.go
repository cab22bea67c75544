package http

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Role is what a principal may do.
type Role string

// Roles. Reads are public; every write needs a bearer token whose principal has the right role.
const (
	// RoleGateway is the residents' gateway: the city's portal, which verifies residents and submits their
	// proposals, ballots and pledges, passing each resident's ID (never stored: see VoterKeys).
	RoleGateway Role = "gateway"
	// RoleModerator publishes and rejects proposals.
	RoleModerator Role = "moderator"
	// RoleAssessor scores proposals, as the registered assessor named by the token.
	RoleAssessor Role = "assessor"
	// RoleAdmin runs the cycle: opens it, advances phases, registers assessors, records allocations and
	// milestones. An admin may also do what moderators do.
	RoleAdmin Role = "admin"
)

// Principal is an authenticated caller.
type Principal struct {
	// Name identifies the caller in every event's metadata, e.g. "almaty-portal".
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Assessor is the assessor ID an assessor token acts as.
	Assessor string `json:"assessor,omitempty"`
}

// tokenEntry is one line of the tokens file.
type tokenEntry struct {
	Principal
	// SHA256 is the hex SHA-256 of the token. Tokens themselves are never stored.
	SHA256 string `json:"sha256"`
}

// Tokens maps token hashes to principals.
type Tokens struct {
	byHash map[[32]byte]Principal
}

// LoadTokens reads a tokens file: {"tokens":[{"name":…,"role":…,"assessor":…,"sha256":…},…]}. Errors name
// the file and the entry.
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
	var file struct {
		Tokens []tokenEntry `json:"tokens"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("not a tokens file: %w", err)
	}
	t := &Tokens{byHash: make(map[[32]byte]Principal)}
	names := map[string]bool{}
	for i, e := range file.Tokens {
		where := fmt.Sprintf("entry %d (%q)", i+1, e.Name)
		if e.Name == "" {
			return nil, fmt.Errorf("%s: name is required", where)
		}
		if names[e.Name] {
			return nil, fmt.Errorf("%s: name is used twice", where)
		}
		names[e.Name] = true
		switch e.Role {
		case RoleGateway, RoleModerator, RoleAdmin:
			if e.Assessor != "" {
				return nil, fmt.Errorf("%s: only assessor tokens name an assessor", where)
			}
		case RoleAssessor:
			if e.Assessor == "" {
				return nil, fmt.Errorf("%s: an assessor token must name its assessor", where)
			}
		default:
			return nil, fmt.Errorf("%s: unknown role %q (gateway, moderator, assessor, admin)", where, e.Role)
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
		t.byHash[key] = e.Principal
	}
	return t, nil
}

// Lookup returns the principal whose token this is.
func (t *Tokens) Lookup(token string) (Principal, bool) {
	if t == nil || token == "" {
		return Principal{}, false
	}
	p, ok := t.byHash[sha256.Sum256([]byte(token))]
	return p, ok
}

// NewToken returns a fresh random token and the tokens-file entry for it.
func NewToken(name string, role Role, assessor string) (token string, entry string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = "pbl_" + hex.EncodeToString(b)
	sum := sha256.Sum256([]byte(token))
	e, err := json.Marshal(tokenEntry{Principal: Principal{Name: name, Role: role, Assessor: assessor}, SHA256: hex.EncodeToString(sum[:])})
	return token, string(e), err
}

// VoterKeys turns residents' IDs into pseudonymous voter keys with a keyed hash (HMAC-SHA-256). The secret is
// configured on the server and never written to the log, so the log alone cannot link a key to a resident,
// while the same resident always gets the same key for one purpose in one cycle (which is what makes "one
// ballot per resident" work). Key is the v1 derivation (one key everywhere); KeyFor chooses by the cycle's
// scheme, and Keyed makes the other keyed digests the log holds (privacy.go).
type VoterKeys struct {
	secret []byte
}

// NewVoterKeys returns a VoterKeys with the given secret, which must be at least 16 bytes.
func NewVoterKeys(secret []byte) (*VoterKeys, error) {
	if len(secret) < 16 {
		return nil, fmt.Errorf("voter key secret must be at least 16 bytes, got %d", len(secret))
	}
	return &VoterKeys{secret: append([]byte(nil), secret...)}, nil
}

// Key returns the voter key for a resident ID: "v" and 32 hex digits (128 bits of the HMAC).
func (k *VoterKeys) Key(residentID string) string {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte("pbledger voter key v1\x00"))
	m.Write([]byte(residentID))
	return "v" + hex.EncodeToString(m.Sum(nil)[:16])
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the authenticated principal of a request, if any.
func principalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// authenticate resolves the bearer token and checks the principal has one of roles. Admin may do anything.
func (s *Server) authenticate(r *http.Request, roles ...Role) (Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return Principal{}, errorf(codeUnauthorized, "this request needs an Authorization: Bearer token")
	}
	p, ok := s.tokens.Lookup(strings.TrimSpace(token))
	if !ok {
		return Principal{}, errorf(codeUnauthorized, "the bearer token is not valid")
	}
	if p.Role == RoleAdmin {
		return p, nil
	}
	for _, role := range roles {
		if p.Role == role {
			return p, nil
		}
	}
	want := make([]string, len(roles))
	for i, r := range roles {
		want[i] = string(r)
	}
	return Principal{}, errorf("forbidden", "principal %q (%s) may not do this; it needs the role %s", p.Name, p.Role, strings.Join(append(want, "admin"), " or "))
}
